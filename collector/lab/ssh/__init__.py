"""The lab's SSH CLI: one asyncssh listener for every AP, one data-driven dialect per platform.

- :mod:`.engine` runs any dialect: modes, prompts, command tables, abbreviations, paging.
- :mod:`.dialects` holds one small module per platform (what netmiko's driver expects).
- :mod:`.terminal` is the line discipline (echo, CR/LF, backspace) between bytes and the engine.
- :mod:`.hostkeys` derives each AP's stable Ed25519 host key from (lab seed, AP id).
- :mod:`.server` accepts TCP on one socket and serves the AP the client dialled.
"""
