"""The declared schema: tags and fields declared once, typed, no client identifiers."""

from __future__ import annotations

import pytest

from collector.influx.lineproto import BadPoint
from collector.influx.schema import (
    AP_INFO,
    AP_POLL,
    AP_USAGE_DAILY,
    AP_USAGE_HOURLY,
    MEASUREMENTS,
    RADIO_POLL,
    ROLLOUT_PROGRESS,
    Kind,
)

TAGS = {
    "ap": "AP-0001",
    "site": "S 1",
    "district": "11110",
    "mount": "smart_pole",
    "platform": "x",
    "standard": "wifi6",
}


def test_prefix_is_escaped_and_sorted() -> None:
    assert AP_POLL.prefix(TAGS) == (
        "ap_poll,ap=AP-0001,district=11110,mount=smart_pole,platform=x,site=S\\ 1,standard=wifi6"
    )


def test_line_formats_by_declared_kind() -> None:
    prefix = RADIO_POLL.prefix({**TAGS, "band": "5GHz"})
    line = RADIO_POLL.line(
        prefix, {"rx_bytes": 10, "tx_power_dbm": 17, "clients": None}, 1_700_000_000
    )
    assert line == prefix + " rx_bytes=10i,tx_power_dbm=17.0 1700000000"


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        ({k: v for k, v in TAGS.items() if k != "site"}, "missing"),
        ({**TAGS, "client_mac": "aa:bb:cc:dd:ee:ff"}, "undeclared"),
        ({**TAGS, "standard": "wifi9"}, "not in"),
        ({**TAGS, "mount": "rooftop"}, "not in"),
    ],
)
def test_prefix_refuses_wrong_tags(tags: dict[str, str], message: str) -> None:
    with pytest.raises(BadPoint, match=message):
        AP_POLL.prefix(tags)


def test_band_values_are_closed() -> None:
    with pytest.raises(BadPoint, match="band"):
        RADIO_POLL.prefix({**TAGS, "band": "60GHz"})


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"client_mac": "aa:bb"}, "schema"),
        ({"up": 1.0}, "type"),
        ({"up": True}, "type"),
        ({"response_ms": "fast"}, "type"),
        ({"response_ms": float("nan")}, "nan_inf"),
        ({"uptime_s": 2**63}, "int_range"),
        ({"up": None}, "no_fields"),
    ],
)
def test_line_refuses_bad_values(values: dict[str, object], reason: str) -> None:
    with pytest.raises(BadPoint) as caught:
        AP_POLL.line(AP_POLL.prefix(TAGS), values, 1)  # type: ignore[arg-type]
    assert caught.value.reason == reason


def test_no_measurement_declares_a_client_identifier_and_units_are_in_names() -> None:
    for m in MEASUREMENTS:
        names = [*m.tags, *(f.name for f in m.fields)]
        assert not any("mac" in n or "client_id" in n for n in names), m.name
        if m is ROLLOUT_PROGRESS:
            assert all(f.kind is Kind.INT for f in m.fields)  # every field counts APs
            continue
        for f in m.fields:
            counts = ("up", "clients", "channel", "polls", "polls_up")
            counts += ("counter_wraps", "counter_resets")  # counts of events: no unit
            counts += ("radios", "ssids")  # ap_facts: how many the CLI lists
            counts += ("count",)  # ap_event: 1 per event
            if f.kind in (Kind.INT, Kind.FLOAT) and f.name not in counts:
                assert f.name.endswith(("_bytes", "_s", "_ms", "_dbm", "sessions")), f.name


def test_ledger_rollups_share_fields() -> None:
    assert AP_USAGE_HOURLY.fields == AP_USAGE_DAILY.fields
    assert [f.name for f in AP_USAGE_DAILY.fields] == [
        "rx_bytes",
        "tx_bytes",
        "sessions",
        "covered_s",
        "polls",
        "polls_up",
    ]


def test_ap_info_keeps_the_device_strings_as_strings() -> None:
    assert [(f.name, f.kind) for f in AP_INFO.fields] == [
        ("model", Kind.STR),
        ("firmware", Kind.STR),
        ("reported_standard", Kind.STR),
        ("sys_name", Kind.STR),
    ]
    line = AP_INFO.line(AP_INFO.prefix(TAGS), {"sys_name": '<svg onload="x=1">'}, 1)
    assert line == AP_INFO.prefix(TAGS) + ' sys_name="<svg onload=\\"x=1\\">" 1'
