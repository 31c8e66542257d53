"""pubwifi's alert rules under Prometheus' own tools: ``promtool check rules`` and
``promtool test rules`` (tests/prometheus/collector.rules.test.yml), and the unit tests fail
when a rule is weakened."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.needs("/usr/bin/promtool")]

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "collector" / "stack" / "rules" / "collector.rules.yml"
TESTS = REPO / "tests" / "prometheus" / "collector.rules.test.yml"


def promtool(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["/usr/bin/promtool", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_the_rules_are_valid() -> None:
    done = promtool("check", "rules", str(RULES))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 12 rules found" in done.stdout


def test_every_rule_passes_its_unit_tests() -> None:
    done = promtool("test", "rules", str(TESTS))
    assert done.returncode == 0, done.stdout + done.stderr
    text = TESTS.read_text(encoding="utf-8")
    for alert in ("PubwifiCollectorDown", "PubwifiCollectorAbsent", "PubwifiNoCycleYet",
                  "PubwifiCycleLate", "PubwifiSpoolGrowing", "PubwifiPointsDropped",
                  "PubwifiPointsSetAside", "PubwifiWriteErrors", "PubwifiManyApsDown",
                  "PubwifiMostApsDown", "PubwifiAlertNotificationsFailing"):  # fmt: skip
        assert f"alertname: {alert}" in text, f"{alert} has no unit test"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (
            "/ sum by (job, instance) (pubwifi_aps) > 0.10",
            "/ sum by (job, instance) (pubwifi_aps) > 0.30",
        ),
        ("> 3 * pubwifi_poll_interval_seconds", "> 10 * pubwifi_poll_interval_seconds"),
        (
            "increase(pubwifi_points_dropped_total[10m]) > 0",
            "increase(pubwifi_points_dropped_total[10m]) > 1000",
        ),
        (
            "(increase(pubwifi_alert_dead_letters_total[30m])) > 0",
            "(increase(pubwifi_alert_dead_letters_total[5m])) > 0",
        ),
    ],
)
def test_a_weakened_rule_fails_the_unit_tests(tmp_path: Path, before: str, after: str) -> None:
    text = RULES.read_text(encoding="utf-8")
    assert before in text
    rules = tmp_path / "collector" / "stack" / "rules"
    rules.mkdir(parents=True)
    (rules / RULES.name).write_text(text.replace(before, after), encoding="utf-8")
    tests = tmp_path / "tests" / "prometheus"
    tests.mkdir(parents=True)
    shutil.copy(TESTS, tests / TESTS.name)
    done = promtool("test", "rules", str(tests / TESTS.name), cwd=tmp_path)
    assert done.returncode != 0 and "FAILED" in done.stdout + done.stderr
