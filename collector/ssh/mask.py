"""Mask secrets and client identifiers in AP configs before anything is written.

Why masking is keyed, not blanked: a config history is only useful if a rotated PSK or community
shows up as a change. Each secret is replaced by ``<masked:XXXXXXXX>``, the first 8 hex digits of
HMAC-SHA256(key, secret): equal secrets give equal tokens, a rotation changes the token, and
without the key (:class:`MaskKey`, 32 random bytes in a 0600 file) the value cannot be guessed
from the token even for short or dictionary secrets. MAC addresses are masked the same way after
normalising them (``02:11:22:33:44:55``, ``02-11-22-33-44-55`` and ``0211.2233.4455`` are one
client, one token), so a client can be followed through a diff but not identified.

Why the rules are a typed Python table (:data:`RULES`) rather than YAML: every regex here is
reviewed together with the tests that exercise it, a broken pattern fails at import (and so in
CI) instead of in a sweep, and mypy checks the table's shape. Rule conventions:

- every *capturing* group of a pattern is a secret (groups that did not take part are skipped);
  everything else is written with ``(?:...)``;
- patterns run over the whole text with ``re.MULTILINE``; ``[^\\n]`` is "any character" and a
  line may end in ``\\r\\n`` (hence the ``\\r?$`` look-aheads);
- a rule with a ``block`` applies only inside blocks whose header line matches it (IOS/Aruba:
  a header is a non-indented line; RouterOS: a ``/menu`` line), header line included, so that
  the RouterOS one-liner ``/snmp community set ... name=X`` is covered too;
- a value that is already a token is left alone, which makes masking idempotent.

Unknown platforms get :data:`GENERIC`, keyword rules (password/secret/key/community/psk...)
that over-mask rather than miss. :func:`mask_output` is for raw command output kept aside when
parsing fails: configs rules, plus every IPv4 and IPv6 address (client IPs identify people).

Limits, on purpose: only secrets the rules recognise are masked; a value that is literally a
mask token (``<masked:0123abcd>``) is taken as already masked; empty values are kept (nothing to
hide). The generic rules mask one token (or one quoted string) after a keyword.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import ipaddress
import os
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

KEY_BYTES = 32
TOKEN_RE = re.compile(r"<masked:[0-9a-f]{8}>")


@dataclass(frozen=True, slots=True)
class MaskKey:
    """The HMAC key of mask tokens. ``repr`` never shows it."""

    secret: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.secret) != KEY_BYTES:
            raise ValueError(f"a mask key is {KEY_BYTES} bytes, not {len(self.secret)}")

    @classmethod
    def load_or_create(cls, path: Path) -> MaskKey:
        """The key in ``path`` (exactly 32 bytes, mode 0600), created on first use.

        Creation writes a temporary file and hard-links it into place, so two processes starting
        together agree on one key and nobody reads a half-written file. A key readable by group
        or others is refused rather than silently fixed: someone changed it, a person must look.
        """
        try:
            return cls._read(path)
        except FileNotFoundError:
            pass
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            with os.fdopen(fd, "wb") as stream:
                stream.write(secrets.token_bytes(KEY_BYTES))
                stream.flush()
                os.fsync(stream.fileno())
            with contextlib.suppress(FileExistsError):  # another process won: use its key
                os.link(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return cls._read(path)

    @classmethod
    def _read(cls, path: Path) -> MaskKey:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as stream:
            mode = os.fstat(stream.fileno()).st_mode
            if mode & 0o077:
                raise PermissionError(f"{path}: mask key must be mode 0600, is {mode & 0o777:o}")
            data = stream.read(KEY_BYTES + 1)
        if len(data) != KEY_BYTES:
            raise ValueError(f"{path}: a mask key is {KEY_BYTES} bytes, the file has {len(data)}")
        return cls(data)

    def token(self, value: str) -> str:
        """``<masked:XXXXXXXX>`` for ``value``."""
        digest = hmac.new(self.secret, value.encode("utf-8"), hashlib.sha256).hexdigest()
        return f"<masked:{digest[:8]}>"


@dataclass(frozen=True, slots=True)
class Rule:
    """One secret syntax: capturing groups of ``pattern`` are secrets; see the module doc."""

    name: str
    pattern: re.Pattern[str]
    block: re.Pattern[str] | None = None
    needle: str | None = None  # a literal every match contains: the text is skipped without it


@dataclass(frozen=True, slots=True)
class PlatformRules:
    header: re.Pattern[str]  # where a block starts (MULTILINE, matched at line starts)
    rules: tuple[Rule, ...]


def _rule(
    name: str, pattern: str, block: str | None = None, flags: int = 0, needle: str | None = None
) -> Rule:
    compiled_block = re.compile(block, re.MULTILINE) if block is not None else None
    if needle is None and not flags & re.IGNORECASE:
        needle = _needle(pattern)
    return Rule(name, re.compile(pattern, re.MULTILINE | flags), compiled_block, needle)


_META = set("\\()[]{}?*+|.^$")


def _needle(pattern: str) -> str | None:
    """The literal a line-anchored pattern starts with (``snmp-server community``), if any.

    Why: ``str.__contains__`` is ~100 times cheaper than a MULTILINE scan, and most rules find
    nothing in most configs; 34,280 configs per sweep make that worth a prefilter.
    """
    for prefix in ("^[ \\t]*", "^[ \\t]+"):
        if pattern.startswith(prefix):
            rest = pattern[len(prefix) :]
            break
    else:
        return None
    end = 0
    while end < len(rest) and rest[end] not in _META:
        end += 1
    if end < len(rest) and rest[end] in "?*{":
        end -= 1  # the last character is optional
    literal = rest[:end].rstrip()
    return literal if len(literal) >= 3 else None


# Building blocks. REST: the rest of the line (a PSK or IOS password may contain spaces), without
# trailing blanks. WORD: one token. QUOTED_OR_WORD: RouterOS-style "..." (with \" escapes) or bare.
_EOL = r"[ \t]*(?=\r?$)"
REST = r"(\S(?:[^\n]*?\S)?)" + _EOL
WORD = r"(\S+)"
QUOTED_OR_WORD = r"""(?:"((?:[^"\\\n]|\\.)*)"|([^\s"][^\s]*))"""
_TYPE = r"(?: \d{1,2})?"  # IOS encryption type (0, 5, 7, 8, 9)
_IND = r"^[ \t]*"

NON_INDENTED = re.compile(r"^(?=\S)", re.MULTILINE)

CISCO_IOS = PlatformRules(
    NON_INDENTED,
    (
        _rule("enable", _IND + r"enable (?:secret|password)(?: level \d+)?" + _TYPE + " " + REST),
        _rule(
            "username",
            _IND + r"username \S+(?: [^\n]*?)? (?:password|secret)" + _TYPE + " " + REST,
        ),
        _rule("snmp community", _IND + r"snmp-server community " + WORD),
        _rule(
            "snmp user",
            _IND + r"snmp-server user \S+ \S+(?: remote \S+(?: udp-port \d+)?(?: vrf \S+)?)?"
            r" v3(?: encrypted)? auth \S+ (\S+)"
            r"(?: priv (?:aes (?:128|192|256)|3des|des|\S+) (\S+))?",
        ),
        _rule(
            "snmp host",
            _IND + r"snmp-server host \S+(?: vrf \S+)?(?: informs| traps)?"
            r"(?: version (?:1|2c|3 (?:auth|noauth|priv)))? " + WORD,
        ),
        _rule(
            "radius host key",
            _IND + r"(?:radius|tacacs)-server host [^\n]*? key" + _TYPE + " " + REST,
            needle="-server host",
        ),
        _rule(
            "radius key",
            _IND + r"(?:radius|tacacs)-server key" + _TYPE + " " + REST,
            needle="-server key",
        ),
        _rule("wpa-psk", _IND + r"wpa-psk (?:ascii|hex)" + _TYPE + " " + REST),
        _rule(
            "wep key",
            _IND + r"encryption(?: vlan \d+)? key \d size \S+" + _TYPE + " " + WORD,
        ),
        _rule(
            "block key",
            r"^[ \t]+(?:server-)?key" + _TYPE + " " + REST,
            block=r"^(?:radius|tacacs|aaa) ",
            needle="key",
        ),
        _rule(
            "server-private key",
            r"^[ \t]+server-private [^\n]*? key" + _TYPE + " " + REST,
        ),
        _rule("key-string", _IND + r"key-string" + _TYPE + " " + REST),
        _rule("pre-shared-key", _IND + r"pre-shared-key(?: local| remote)?" + _TYPE + " " + REST),
        _rule("isakmp key", _IND + r"crypto isakmp key" + _TYPE + r" (\S+) (?:address|hostname) "),
        _rule("ntp key", _IND + r"ntp authentication-key \d+ \S+ " + WORD),
        _rule("indented password", r"^[ \t]+password" + _TYPE + " " + REST),
    ),
)

ARUBA_INSTANT = PlatformRules(
    NON_INDENTED,
    (
        _rule("mgmt-user", _IND + r"mgmt-user \S+ " + WORD),
        _rule("snmp community", _IND + r"snmp-server community " + WORD),
        _rule(
            "snmp user",
            _IND + r"snmp-server user \S+ (?:auth-protocol )?(?i:md5|sha\S*) (\S+)"
            r"(?: (?:priv-protocol )?(?i:des|aes\S*) (\S+))?",
        ),
        _rule("auth-server key", r"^[ \t]+key " + REST, block=r"^wlan (?:auth|tacacs)-server "),
        _rule("wpa-passphrase", _IND + r"wpa-passphrase " + REST),
        _rule("ldap password", r"^[ \t]+(?:admin|bind)-password " + REST, needle="-password"),
    ),
)

_ROS_NAME = r"(?<![^\s\[])"
MIKROTIK_ROUTEROS = PlatformRules(
    re.compile(r"^(?=/)", re.MULTILINE),
    (
        _rule(
            "secret parameter",
            _ROS_NAME + r"(?:[a-z0-9-]*-)?(?:secret|password|passphrase|pre-shared-key"
            r"|preshared-key|private-key|static-key-\d|management-protection-key)="
            + QUOTED_OR_WORD,
            needle="=",
        ),
        _rule(
            "snmp community name",
            _ROS_NAME + r"name=" + QUOTED_OR_WORD,
            block=r"^/snmp community\b",
            needle="name=",
        ),
    ),
)

NET_SNMP = PlatformRules(
    NON_INDENTED,
    (
        _rule(
            "hostapd secret",
            _IND + r"(?:[a-z0-9_]*(?:passphrase|psk|password|passwd|secret)|wep_key\d)=" + REST,
            needle="=",
        ),
        _rule("radius das client", _IND + r"radius_das_client=\S+ " + REST),
        _rule(
            "snmpd community", _IND + r"(?:ro|rw|trap|trap2)community6? " + WORD, needle="community"
        ),
        _rule("snmpd sink", _IND + r"trap2?sink \S+ " + WORD),
        _rule("snmpd com2sec", _IND + r"com2sec6?(?: -Cn \S+)? \S+ \S+ " + WORD),
        _rule(
            "snmpd createUser",
            _IND + r"createUser(?: -e \S+)? \S+ (?i:md5|sha\S*) (\S+)(?: (?i:des|aes\S*) (\S+))?",
        ),
    ),
)

_QUALIFIERS = r"(?:[ \t]+(?:\d{1,2}|ascii|hex|cleartext|clear|plain|plaintext|encrypted))*"
GENERIC = PlatformRules(
    NON_INDENTED,
    (
        _rule(
            "keyword",
            r"(?<![A-Za-z0-9])[A-Za-z0-9_-]*?(?:password|passwd|passphrase|secret|psk|community"
            r"|key)" + _QUALIFIERS + r"(?:[ \t]*[=:][ \t]*|[ \t]+)" + QUOTED_OR_WORD,
            flags=re.IGNORECASE,
        ),
        _rule(
            "auth/priv key",
            r"(?<![A-Za-z0-9])(?:auth|priv)[ \t]+(?:md5|sha\d*|des|3des|aes(?:[ \t]+\d+)?)[ \t]+"
            + QUOTED_OR_WORD,
            flags=re.IGNORECASE,
        ),
    ),
)

#: Platform key (as in ``collector/profiles/``) -> its rules; anything else uses GENERIC.
RULES: dict[str, PlatformRules] = {
    "cisco_ios_ap": CISCO_IOS,
    "aruba_instant": ARUBA_INSTANT,
    "mikrotik_routeros": MIKROTIK_ROUTEROS,
    "net-snmp": NET_SNMP,
}

_HEX = "[0-9A-Fa-f]"
MAC_RE = re.compile(
    rf"(?<!{_HEX})(?<!{_HEX}[:.-])"
    rf"(?:{_HEX}{{2}}(?P<sep>[:-])(?:{_HEX}{{2}}(?P=sep)){{4}}{_HEX}{{2}}"
    rf"|{_HEX}{{4}}\.{_HEX}{{4}}\.{_HEX}{{4}})"
    rf"(?!{_HEX}|[:.-]{_HEX})"
)
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
IPV4_RE = re.compile(rf"(?<![\d.])(?:{_OCTET}\.){{3}}{_OCTET}(?![\d]|\.\d)")
# Every MAC form has ``:HH:HH:``/``-HH-HH-`` or ``.HHHH.``; an IPv4 address or a time has neither.
_MAC_HINT = re.compile(rf"[:-]{_HEX}{{2}}[:-]{_HEX}{{2}}[:-]|\.{_HEX}{{4}}\.")
_IPV6_CANDIDATE = re.compile(r"(?<![0-9A-Za-z:.])[0-9A-Fa-f:]*:[0-9A-Fa-f]*:[0-9A-Fa-f:.]*")


def _replace(text: str, spans: Iterable[tuple[int, int, str]]) -> str:
    """``text`` with each ``(start, end, new)`` span (in order, disjoint) replaced."""
    parts: list[str] = []
    last = 0
    for start, end, new in spans:
        parts.append(text[last:start])
        parts.append(new)
        last = end
    if not parts:
        return text
    parts.append(text[last:])
    return "".join(parts)


def _block_ranges(
    text: str, platform: PlatformRules, block: re.Pattern[str]
) -> list[tuple[int, int]]:
    starts = [m.start() for m in platform.header.finditer(text)]
    ranges: list[tuple[int, int]] = []
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        if block.match(text, start, end):
            ranges.append((start, end))
    return ranges


def _apply(text: str, rule: Rule, platform: PlatformRules, key: MaskKey) -> str:
    if rule.needle is not None and rule.needle not in text:
        return text
    ranges = [(0, len(text))] if rule.block is None else _block_ranges(text, platform, rule.block)
    spans: list[tuple[int, int, str]] = []
    for start, end in ranges:
        for match in rule.pattern.finditer(text, start, end):
            for group in range(1, (rule.pattern.groups or 0) + 1):
                value = match.group(group)
                if not value or TOKEN_RE.fullmatch(value):
                    continue
                spans.append((match.start(group), match.end(group), key.token(value)))
    return _replace(text, spans)


def _mac_token(match: re.Match[str], key: MaskKey) -> str:
    normalised = re.sub(r"[:.-]", "", match.group(0)).lower()
    return key.token(normalised)


def _ipv6_spans(text: str, key: MaskKey) -> Iterable[tuple[int, int, str]]:
    for match in _IPV6_CANDIDATE.finditer(text):
        candidate = match.group(0).rstrip(".")
        try:
            address = ipaddress.IPv6Address(candidate)
        except ValueError:
            continue
        end = match.start() + len(candidate)
        yield match.start(), end, key.token(address.compressed)


def _sub(pattern: re.Pattern[str], text: str, token: Callable[[re.Match[str]], str]) -> str:
    return pattern.sub(token, text)


def mask_config(platform: str, text: str, key: MaskKey) -> str:
    """``text`` with the platform's secrets and every MAC address replaced by mask tokens."""
    rules = RULES.get(platform, GENERIC)
    for rule in rules.rules:
        text = _apply(text, rule, rules, key)
    if not _MAC_HINT.search(text):
        return text
    return _sub(MAC_RE, text, lambda m: _mac_token(m, key))


def mask_output(platform: str, text: str, key: MaskKey) -> str:
    """Raw command output made safe to keep: :func:`mask_config` plus every IP address."""
    text = mask_config(platform, text, key)
    text = _replace(text, _ipv6_spans(text, key))
    return _sub(IPV4_RE, text, lambda m: key.token(m.group(0)))
