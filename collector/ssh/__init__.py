"""SSH collection: facts, aggregate client counts and configuration backups, over netmiko.

- :mod:`.facts` is what a sweep learns about one AP (no client identifiers: only counts).
- :mod:`.profile` loads the per-platform SSH data (``collector/profiles/ssh/``): netmiko device
  type, the commands to run, and the TextFSM template that parses each.
- :mod:`.parse` turns a platform's command outputs into :class:`~.facts.ApFacts`.
- :mod:`.mask` masks secrets (PSKs, community strings, passwords) and client identifiers.
- :mod:`.configrepo` keeps each AP's masked running-config in a git repository.
- :mod:`.session` is the only module that imports netmiko.
"""
