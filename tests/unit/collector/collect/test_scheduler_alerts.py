"""The collector's alert job: every minute on shard 1 (``--no-alerts`` off), in a worker thread;
a failing evaluation is logged and counted and never stops the poll cycles."""

from __future__ import annotations

import argparse
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
from prometheus_client import CollectorRegistry

from collector.collect import cli as collect_cli
from collector.collect.phases import PhasePlan
from collector.collect.pipeline import Pipeline
from collector.collect.scheduler import Collector, run_forever
from collector.errors import InputError
from collector.inventory.load import load_inventory
from collector.inventory.model import Inventory
from collector.metrics import CollectorMetrics
from collector.poll.runner import PollStats, Runner
from collector.poll.shard import Shard
from collector.settings import load_settings

REPO_INVENTORY = Path(__file__).resolve().parents[4] / "inventory.yaml"
ERRORS = 'pubwifi_poll_cycles_total{outcome="alerts_error"}'


@dataclass
class EveryTick:
    def due(self, start: float, end: float) -> list[object]:
        return [object()]


class AlwaysOk:
    async def poll_once(self, aps: object, sink: object) -> PollStats:
        return PollStats(aps=1, ok=1, failed=0)

    def save_discovery(self, min_interval_s: float = 0.0) -> bool:
        return False


class Sink:
    def end_cycle(self) -> tuple[int, int]:
        return 1, 0


@dataclass
class FakePipeline:
    sink: Sink


def collector(alerts: Any, registry: CollectorRegistry) -> Collector:
    return Collector(
        plan=cast(PhasePlan, EveryTick()),
        runner=cast(Runner, AlwaysOk()),
        pipeline=cast(Pipeline, FakePipeline(Sink())),
        metrics=CollectorMetrics(registry),
        interval_s=2.0,
        alerts=alerts,
    )


def sample(registry: CollectorRegistry, name: str) -> float | None:
    metric, _, labels = name.partition("{")
    pairs = dict(p.split("=") for p in labels.rstrip("}").split(",")) if labels else {}
    return registry.get_sample_value(metric, {k: v.strip('"') for k, v in pairs.items()})


def test_a_failing_evaluation_is_logged_and_counted(caplog: pytest.LogCaptureFixture) -> None:
    registry = CollectorRegistry()
    calls: list[int] = []

    def boom() -> object:
        calls.append(1)
        raise RuntimeError("alerts.sqlite is locked")

    c = collector(boom, registry)
    with caplog.at_level(logging.ERROR):
        c.evaluate_alerts()
        c.evaluate_alerts()
    assert calls == [1, 1] and c.alert_runs == 2 and c.alert_errors == 2
    assert sample(registry, ERRORS) == 2.0
    assert "alert evaluation failed" in caplog.text and "locked" in caplog.text
    ok = collector(lambda: None, CollectorRegistry())
    ok.evaluate_alerts()
    assert ok.alert_runs == 1 and ok.alert_errors == 0


def test_the_scheduler_runs_alerts_in_a_thread_and_failures_never_stop_collection() -> None:
    registry = CollectorRegistry()
    threads: list[str] = []

    def boom() -> object:
        threads.append(threading.current_thread().name)
        raise RuntimeError("InfluxDB went away")

    c = collector(boom, registry)
    assert run_forever(c, max_cycles=2, alerts_every_s=0.3) == 0
    assert c.cycles == 2  # both cycles ran although every evaluation raised
    assert c.alert_runs >= 2 and c.alert_errors == c.alert_runs
    assert threading.main_thread().name not in threads  # a worker thread, not the event loop
    assert sample(registry, ERRORS) == float(c.alert_errors)


def test_no_alerts_job_without_one() -> None:
    c = collector(None, CollectorRegistry())
    assert run_forever(c, max_cycles=1, alerts_every_s=0.2) == 0
    assert c.alert_runs == 0


@pytest.fixture
def inventory() -> Inventory:
    return load_inventory(REPO_INVENTORY)


def test_alerts_job_only_on_shard_1_and_calls_evaluate_and_notify(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, inventory: Inventory
) -> None:
    monkeypatch.setenv("PUBWIFI_DATA_DIR", str(tmp_path))
    settings = load_settings()
    metrics = CollectorMetrics(CollectorRegistry())
    seen: list[tuple[Any, ...]] = []

    def fake(settings: Any, inventory: Any, now: float, *, metrics: Any = None) -> str:
        seen.append((settings, inventory, now, metrics))
        return "summary"

    monkeypatch.setattr("collector.alerts.service.evaluate_and_notify", fake)
    assert collect_cli.alerts_job(settings, inventory, metrics, Shard.parse("2/3")) is None
    job = collect_cli.alerts_job(settings, inventory, metrics, Shard.parse("1/3"), lambda: 123.0)
    assert job is not None and job() == "summary"
    assert seen == [(settings, inventory, 123.0, metrics)]


def test_alerts_job_checks_the_rules_against_the_inventory_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, inventory: Inventory
) -> None:
    rules = tmp_path / "alerts.yaml"
    rules.write_text(
        "version: 1\nmaintenance:\n  - {sites: [S00000-9999], start: 1, end: 2}\n"
        "rules:\n  - {id: down, kind: ap_down}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("PUBWIFI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PUBWIFI_ALERTS", str(rules))
    with pytest.raises(InputError) as caught:
        collect_cli.alerts_job(
            load_settings(), inventory, CollectorMetrics(CollectorRegistry()), Shard.parse("1/1")
        )
    text = str(caught.value)
    assert f"{rules}:3: maintenance[0].sites[0]: site 'S00000-9999'" in text
    assert "--no-alerts" in text


def test_the_collect_command_has_no_alerts() -> None:
    parser = argparse.ArgumentParser()
    collect_cli.register(parser.add_subparsers())
    assert parser.parse_args(["collect", "--no-alerts"]).no_alerts is True
    assert parser.parse_args(["collect"]).no_alerts is False
