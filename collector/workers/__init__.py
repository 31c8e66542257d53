"""Worker processes: one pubwifi command using every core it is given.

``pubwifi poll`` and ``pubwifi collect`` run ``--workers N`` processes (default: the cores this
process may use). The parent (:mod:`collector.workers.supervisor`) starts each as a fresh
interpreter running the same command for its part of the shard (``--worker J/N``, see
:class:`collector.poll.shard.Shard`), reads the JSON lines it prints, restarts one that dies
(``collect``) and stops them all on SIGTERM/SIGINT. The worker side is
:mod:`collector.workers.child`.
"""
