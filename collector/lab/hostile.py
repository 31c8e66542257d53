"""Hostile device-supplied strings: the ``hostile_strings`` fault's XSS corpus.

Anything an AP reports (sysName, sysDescr, its model and firmware strings) is attacker-chosen
as far as a web UI is concerned: whoever can configure an AP, or answer in its place, picks
them. An AP under the ``hostile_strings`` fault (:mod:`collector.lab.faults`) reports entries of
:data:`XSS_CORPUS` instead of its own strings over SNMP, so the collector stores them and the
UI has to display them as text. Every script payload, if it ever runs, sets or increments
``window.__pubwifi_xss``, which a browser test can read: it must stay undefined. The Korean
entry must show as typed: its tags visible, not bold, and ``&amp;`` not turned into ``&``.

Each AP gets its entries deterministically from (seed, AP id) (:func:`hostile_strings`):
sysName, model and firmware are three consecutive corpus entries, so the fleet exercises all
of them; they also fill the platform's sysDescr template (cut to 255 octets), after the part
platform detection matches. Every entry is valid UTF-8 and fits an SNMP DisplayString (at most
255 octets). The SSH CLI is unaffected: its hostname and ``show`` output stay the AP's own.
"""

from __future__ import annotations

from dataclasses import dataclass

from collector.lab.traffic import unit_hash

#: The longest value an SNMP DisplayString (SNMPv2-TC) may hold, in octets.
DISPLAY_STRING_OCTETS = 255

#: Device strings a web UI must render as text, never as markup, script or a URL.
XSS_CORPUS: tuple[str, ...] = (
    "<script>window.__pubwifi_xss=(window.__pubwifi_xss||0)+1</script>",  # element content
    '"><img src=x onerror="window.__pubwifi_xss=(window.__pubwifi_xss||0)+1">',  # attribute
    "javascript:window.__pubwifi_xss=1",  # a link's href
    '<svg onload="window.__pubwifi_xss=1">',  # an SVG event handler
    "'};window.__pubwifi_xss=1;//",  # a string inside an inline script
    "<b>강남</b>&amp;",  # markup and an entity around non-ASCII text: shown as typed
    "{{constructor.constructor('window.__pubwifi_xss=1')()}}",  # client-side templates
)


@dataclass(frozen=True, slots=True)
class HostileStrings:
    """What a hostile AP reports instead of its own sysName, model and firmware."""

    sys_name: str
    model: str
    firmware: str


def hostile_strings(seed: int, ap_id: str) -> HostileStrings:
    """The corpus entries the AP ``ap_id`` reports (the same every run for one ``seed``)."""
    first = int(unit_hash(seed, ap_id, "hostile_strings") * len(XSS_CORPUS))

    def entry(offset: int) -> str:
        return XSS_CORPUS[(first + offset) % len(XSS_CORPUS)]

    return HostileStrings(sys_name=entry(0), model=entry(1), firmware=entry(2))


def display_string(text: str) -> bytes:
    """``text`` as UTF-8, cut to a DisplayString's 255 octets on a character boundary."""
    raw = text.encode()
    if len(raw) <= DISPLAY_STRING_OCTETS:
        return raw
    return raw[:DISPLAY_STRING_OCTETS].decode(errors="ignore").encode()
