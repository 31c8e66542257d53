"""The agent's credentials from the inventory's auth references (``${PUBWIFI_SNMP_*}``).

Resolved once per auth entry, not per device: the lab shares one :class:`UsmUser` object among
all the devices that use an auth, so the agent's key cache localizes each engine's keys once.
"""

from __future__ import annotations

from collections.abc import Mapping

from collector.inventory.model import SnmpV2cAuth, SnmpV3Auth
from collector.lab.snmp.usm import AuthProtocol, PrivProtocol, UsmUser


def usm_user(auth: SnmpV3Auth, environ: Mapping[str, str] | None = None) -> UsmUser:
    """The v3 user an agent accepts for ``auth`` (raises UnsetSecretError / ValueError)."""
    return UsmUser(
        name=auth.user.resolve(environ).reveal().encode(),
        auth_protocol=AuthProtocol.from_key(auth.auth_protocol.value),
        auth_password=auth.auth_key.resolve(environ),
        priv_protocol=PrivProtocol.from_key(auth.priv_protocol.value),
        priv_password=auth.priv_key.resolve(environ),
    )


def community(auth: SnmpV2cAuth, environ: Mapping[str, str] | None = None) -> bytes:
    """The v2c community an agent accepts for ``auth``."""
    return auth.community.resolve(environ).reveal().encode()
