"""collect.accounting and the SpoolSink: one bad value sets aside its own line, no other."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

import pytest

from collector.collect.accounting import Accountant
from collector.collect.baselines import BaselineStore
from collector.collect.pipeline import SpoolSink
from collector.influx.hooks import CountingMetrics
from collector.inventory.generate import GenerateOptions, generate
from collector.inventory.load import load_inventory
from collector.inventory.model import Inventory
from collector.poll.sample import CounterValue, RadioSample, Sample

T0 = 1_735_657_200
NS = 1_000_000_000
UP0 = 360_000  # one hour of uptime


@pytest.fixture
def inventory(tmp_path: Path) -> Inventory:
    path = tmp_path / "inventory.yaml"
    path.write_text(generate(GenerateOptions(aps=3, platform="cisco_ios_ap")), encoding="utf-8")
    return load_inventory(path)


def radio(band: str, index: str, rx: int, tx: int, sessions: int, **kw: object) -> RadioSample:
    return RadioSample(
        index,
        None,
        band,
        CounterValue(rx, 64),
        CounterValue(tx, 64),
        sessions=CounterValue(sessions, 32),
        clients=2,
        channel=36,
        **kw,  # type: ignore[arg-type]
    )


def sample(ap: str, t: int, radios: tuple[RadioSample, ...], **kw: object) -> Sample:
    info: dict[str, object] = {"model": "AIR-AP", "firmware": "17.9", **kw}
    return Sample(
        ap,
        t * NS,
        True,
        uptime=UP0 + (t - T0) * 100,
        radios=radios,
        **info,  # type: ignore[arg-type]
    )


def two_polls(ap: str, power: float = 17.0, model: str = "AIR-AP") -> tuple[Sample, Sample]:
    first = sample(ap, T0, (radio("2.4GHz", "1", 0, 0, 0), radio("5GHz", "2", 0, 0, 0)))
    second = sample(
        ap,
        T0 + 300,
        (
            radio("2.4GHz", "1", 1_000, 2_000, 3),
            radio("5GHz", "2", 10_000, 20_000, 4, tx_power_dbm=power),
        ),
        model=model,
    )
    return first, second


def measurements(lines: list[str]) -> list[str]:
    return [
        line.split(",", 1)[0]
        + ("/" + line.split("band=")[1].split(" ")[0].split(",")[0] if "band=" in line else "")
        for line in lines
    ]


def test_a_nan_sets_aside_only_its_radio_line(inventory: Inventory, tmp_path: Path) -> None:
    ap = inventory.aps[0].id
    baselines = BaselineStore.open(tmp_path)
    accountant = Accountant(inventory, baselines)
    first, second = two_polls(ap, power=math.nan)
    accountant.account(first)
    out = accountant.account(second)
    assert [e.reason for e in out.set_aside] == ["nan_inf"]
    assert measurements(out.lines) == ["ap_poll", "radio_poll/2.4GHz"]
    assert "rx_bytes=1000i" in out.lines[1] and "interval_s=300i" in out.lines[1]
    assert accountant.stats.set_aside == {"nan_inf": 1}
    assert accountant.stats.lines == len(out.lines) + 4  # first poll: ap_poll, ap_info, 2 radios
    # the bad radio's baselines advanced: its deltas for this poll are what was set aside
    kept = baselines.get(ap, "rx_bytes.2")
    assert kept is not None and kept.value == 10_000


def test_a_bad_model_string_sets_aside_only_ap_info(inventory: Inventory, tmp_path: Path) -> None:
    ap = inventory.aps[1].id
    accountant = Accountant(inventory, BaselineStore.open(tmp_path))
    first, second = two_polls(ap, model="AIR-\ud800")
    accountant.account(first)
    out = accountant.account(second)
    assert [e.reason for e in out.set_aside] == ["utf8"]
    assert measurements(out.lines) == ["ap_poll", "radio_poll/2.4GHz", "radio_poll/5GHz"]


def test_an_unknown_band_is_a_set_aside_line_not_an_error(
    inventory: Inventory, tmp_path: Path
) -> None:
    ap = inventory.aps[2].id
    accountant = Accountant(inventory, BaselineStore.open(tmp_path))
    out = accountant.account(
        sample(ap, T0, (radio("60GHz", "9", 0, 0, 0), radio("5GHz", "2", 0, 0, 0)))
    )
    assert [e.reason for e in out.set_aside] == ["schema"]
    assert measurements(out.lines) == ["ap_poll", "ap_info", "radio_poll/5GHz"]


def ap_info_lines(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("ap_info,")]


def test_ap_info_carries_sys_name_and_is_rewritten_when_it_changes(
    inventory: Inventory, tmp_path: Path
) -> None:
    ap = inventory.aps[0].id
    accountant = Accountant(inventory, BaselineStore.open(tmp_path))
    five = (radio("5GHz", "2", 0, 0, 0),)
    first = ap_info_lines(accountant.account(sample(ap, T0, five, sys_name="ap-one")).lines)
    assert len(first) == 1 and 'sys_name="ap-one"' in first[0]
    assert 'model="AIR-AP"' in first[0] and 'firmware="17.9"' in first[0]
    same = accountant.account(sample(ap, T0 + 300, five, sys_name="ap-one"))
    assert ap_info_lines(same.lines) == []  # nothing changed: no new ap_info point
    hostile = '"><img src=x onerror="alert(1)">'
    renamed = accountant.account(sample(ap, T0 + 600, five, sys_name=hostile))
    (line,) = ap_info_lines(renamed.lines)
    # the same model and firmware, the new sysName, its quotes escaped for line protocol
    assert 'model="AIR-AP"' in line and 'firmware="17.9"' in line
    assert 'sys_name="\\"><img src=x onerror=\\"alert(1)\\">"' in line
    assert renamed.set_aside == []


def test_ap_info_is_written_for_an_ap_that_reports_only_its_sys_name(
    inventory: Inventory, tmp_path: Path
) -> None:
    """A generic Linux host has no model or firmware, but its sysName is still kept."""
    ap = inventory.aps[1].id
    accountant = Accountant(inventory, BaselineStore.open(tmp_path))
    out = accountant.account(
        sample(ap, T0, (), model=None, firmware=None, sys_name="<b>강남</b>&amp;")
    )
    (line,) = ap_info_lines(out.lines)
    assert fields_of(line) == {"sys_name": '"<b>강남</b>&amp;"'}


class ListSpool:
    """The part of :class:`~collector.influx.spool.Spool` the sink uses."""

    def __init__(self) -> None:
        self.groups: list[list[str]] = []

    def append(self, lines: list[str]) -> None:
        self.groups.append(list(lines))


def test_spool_sink_counts_the_bad_line_and_spools_every_other(
    inventory: Inventory, tmp_path: Path
) -> None:
    good_ap, bad_ap = inventory.aps[0].id, inventory.aps[1].id
    baselines = BaselineStore.open(tmp_path)
    metrics = CountingMetrics()
    spool = ListSpool()
    sink = SpoolSink(Accountant(inventory, baselines), spool, None, metrics)  # type: ignore[arg-type]
    good = two_polls(good_ap)
    bad = two_polls(bad_ap, power=math.inf)
    asyncio.run(sink.emit([good[0], bad[0]]))
    asyncio.run(sink.emit([bad[1], good[1], sample("no-such-ap", T0 + 300, ())]))
    assert dict(metrics.set_aside) == {"nan_inf": 1, "unknown_ap": 1}
    last = spool.groups[-1]
    assert measurements(last) == [
        "ap_poll",
        "radio_poll/2.4GHz",  # the bad AP: all but its 5 GHz line
        "ap_poll",
        "radio_poll/2.4GHz",
        "radio_poll/5GHz",
    ]
    assert all(f"ap={bad_ap}," in line for line in last[:2])
    # baselines were committed: a reopened store has the second poll's values
    reopened = BaselineStore.open(tmp_path)
    kept = reopened.get(bad_ap, "tx_bytes.2")
    assert kept is not None and kept.value == 20_000


def test_a_large_batch_gives_the_event_loop_back_while_it_is_accounted(
    inventory: Inventory,
    tmp_path: Path,
) -> None:
    """Answers in flight are read during a big emit; two emits never interleave."""
    from collector.collect.pipeline import YIELD_EVERY

    ap_id = inventory.aps[0].id
    polls = [
        sample(ap_id, T0 + 60 * i, (radio("5GHz", "2", 1000 * i, 2000 * i, i),))
        for i in range(4 * YIELD_EVERY)
    ]
    spool = ListSpool()
    sink = SpoolSink(Accountant(inventory, BaselineStore.open(tmp_path)), spool)  # type: ignore[arg-type]
    ticks: list[int] = []

    async def run() -> None:
        async def ticker() -> None:
            while True:
                ticks.append(len(spool.groups))
                await asyncio.sleep(0)

        tick = asyncio.create_task(ticker())
        await asyncio.sleep(0)
        first, second = polls[: len(polls) // 2], polls[len(polls) // 2 :]
        await asyncio.gather(sink.emit(first), sink.emit(second))
        tick.cancel()

    asyncio.run(run())
    assert ticks.count(0) >= 3  # the loop ran other work while the first batch was accounted
    assert len(spool.groups) == 2
    ordered = [int(line.rsplit(" ", 1)[1]) for group in spool.groups for line in group]
    assert ordered == sorted(ordered)  # batch two's lines after all of batch one's


# --- coverage: a poll covers its span only if every counter of every radio counted --------


def fields_of(line: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in line.split(" ")[1].split(","))


def radio_rows(lines: list[str]) -> dict[str, dict[str, str]]:
    return {
        m.split("/")[1]: fields_of(line)
        for m, line in zip(measurements(lines), lines, strict=True)
        if "/" in m
    }


def test_first_poll_rows_carry_interval_zero_and_no_deltas(
    inventory: Inventory, tmp_path: Path
) -> None:
    accountant = Accountant(inventory, BaselineStore.open(tmp_path))
    rows = radio_rows(accountant.account(two_polls(inventory.aps[0].id)[0]).lines)
    assert {band: (f["interval_s"], "rx_bytes" in f) for band, f in rows.items()} == {
        "2.4GHz": ("0i", False),
        "5GHz": ("0i", False),
    }


def five_ghz(rx: int, tx: int, sessions: int, disc: int | None = None) -> RadioSample:
    """A 5 GHz radio with 64-bit counters (sessions too) on a 1 Mbit/s interface."""
    return RadioSample(
        "2",
        None,
        "5GHz",
        CounterValue(rx, 64),
        CounterValue(tx, 64),
        speed_bps=1_000_000,
        discontinuity=disc,
        sessions=CounterValue(sessions, 64),
    )


SLOW = 1_000_000  # 1 Mbit/s: 300 s carry at most about 39 MB


@pytest.mark.parametrize(
    ("fault", "second_5ghz", "third_5ghz"),
    [
        ("tx over speed", five_ghz(10_000, 10**9, 9), five_ghz(20_000, 10**9 + 1, 10)),
        ("sessions down", five_ghz(10_000, 20_000, 2), five_ghz(20_000, 30_000, 3)),
        ("one radio reset", five_ghz(10, 20, 1, UP0 + 20_000), five_ghz(20, 40, 2, UP0 + 20_000)),
    ],
)
def test_a_poll_not_wholly_counted_writes_its_deltas_without_interval(
    inventory: Inventory,
    tmp_path: Path,
    fault: str,
    second_5ghz: RadioSample,
    third_5ghz: RadioSample,
) -> None:
    ap = inventory.aps[0].id
    accountant = Accountant(inventory, BaselineStore.open(tmp_path))
    accountant.account(
        sample(ap, T0, (radio("2.4GHz", "1", 0, 0, 0, speed_bps=SLOW), five_ghz(0, 0, 5)))
    )
    second = (radio("2.4GHz", "1", 1_000, 2_000, 3, speed_bps=SLOW), second_5ghz)
    rows = radio_rows(accountant.account(sample(ap, T0 + 300, second)).lines)
    assert "interval_s" not in rows["2.4GHz"] and "interval_s" not in rows["5GHz"], fault
    assert rows["2.4GHz"]["rx_bytes"] == "1000i"  # exact deltas are kept, for the record
    assert accountant.stats.partial == 1
    # the next poll is wholly counted again: both rows cover the same 300 s
    third = (radio("2.4GHz", "1", 2_000, 4_000, 6, speed_bps=SLOW), third_5ghz)
    rows = radio_rows(accountant.account(sample(ap, T0 + 600, third)).lines)
    assert (rows["2.4GHz"]["interval_s"], rows["5GHz"]["interval_s"]) == ("300i", "300i")
    assert accountant.stats.partial == 1


def test_usage_and_ledger_leave_a_partial_poll_out_of_totals_and_coverage(
    inventory: Inventory, tmp_path: Path
) -> None:
    from fake_influxql import FakeInfluxQL

    from collector.ledger.rollup import roll_up
    from collector.ledger.usage import usage_from_polls

    ap = inventory.aps[0].id
    accountant = Accountant(inventory, BaselineStore.open(tmp_path))
    db = FakeInfluxQL()
    hour = T0 - T0 % 3600
    tx5 = 0
    for step, t in enumerate(range(hour, hour + 3601, 300)):
        tx5 += 10**9 if step == 4 else 1_000  # poll 4: 5 GHz tx over speed
        db.write(
            accountant.account(
                sample(
                    ap,
                    t,
                    (
                        radio("2.4GHz", "1", 100 * step, 10 * step, step, speed_bps=SLOW),
                        radio("5GHz", "2", 1_000 * step, tx5, step, speed_bps=SLOW),
                    ),
                )
            ).lines
        )
    report = usage_from_polls(db, hour, hour + 3600, ap=ap)
    (usage,) = report.aps
    assert usage.covered_s == 3600 - 300 and report.without_interval == 2
    assert usage.rx_bytes == (100 + 1_000) * (12 - 1)  # poll 4's deltas are not in the total
    out = FakeInfluxQL()
    roll_up(db, out.write, [inventory.aps[0]], [hour])
    (point,) = [f for (m, tags, ts), f in out.points.items() if dict(tags)["ap"] == ap]
    assert (point["covered_s"], point["rx_bytes"]) == (usage.covered_s, usage.rx_bytes)


def test_counter_wraps_and_resets_are_kept_on_the_radio_row(
    inventory: Inventory, tmp_path: Path
) -> None:
    """The AP page's counter events: a 32-bit wrap and a restart without reboot, per radio."""
    ap = inventory.aps[0].id
    accountant = Accountant(inventory, BaselineStore.open(tmp_path))

    def row(rx: int, sessions: int, disc: int | None = None) -> RadioSample:
        return RadioSample(
            "2",
            None,
            "5GHz",
            CounterValue(rx, 32),
            CounterValue(0, 32),
            discontinuity=disc,
            sessions=CounterValue(sessions, 32),
        )

    accountant.account(sample(ap, T0, (row(2**32 - 1_000, 5),)))
    wrapped = radio_rows(accountant.account(sample(ap, T0 + 300, (row(4_000, 6),))).lines)
    assert wrapped["5GHz"]["rx_bytes"] == "5000i" and wrapped["5GHz"]["counter_wraps"] == "1i"
    assert "counter_resets" not in wrapped["5GHz"]
    reset = radio_rows(accountant.account(sample(ap, T0 + 600, (row(10, 1, UP0 + 50_000),))).lines)
    assert reset["5GHz"]["counter_resets"] == "3i" and "counter_wraps" not in reset["5GHz"]
    calm = radio_rows(accountant.account(sample(ap, T0 + 900, (row(20, 2, UP0 + 50_000),))).lines)
    assert "counter_wraps" not in calm["5GHz"] and "counter_resets" not in calm["5GHz"]
