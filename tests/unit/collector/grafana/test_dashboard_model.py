"""The committed dashboards against Grafana's dashboard model and pubwifi's one schema.

Grafana cannot be installed here, so what it would refuse or silently mis-draw is checked
directly: a current ``schemaVersion``, unique ids and uids, panels inside the 24-column grid and
not overlapping, datasource uids that the provisioning defines, variables that exist; every
InfluxQL measurement, field and tag in :mod:`collector.influx.schema`, every Prometheus metric in
:class:`collector.metrics.CollectorMetrics`. The queries themselves run against real servers in
``tests/integration/test_dashboards.py``.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry

from collector.grafana.build import dashboards, render
from collector.grafana.influxql import f, t
from collector.grafana.model import SCHEMA_VERSION, Layout, Panel
from collector.influx.schema import AP_USAGE_DAILY, MEASUREMENTS
from collector.metrics import CollectorMetrics, WorkerMetrics

REPO = Path(__file__).resolve().parents[4]
DASHBOARDS = REPO / "dashboards"
BUILTINS = {"timeFilter", "__interval", "__rate_interval", "interval", "__range"}
HANGUL = re.compile(r"[\uac00-\ud7a3]")
LATIN = re.compile(r"[A-Za-z]{2,}")


def committed() -> dict[str, dict[str, Any]]:
    return {
        name: json.loads((DASHBOARDS / name).read_text(encoding="utf-8")) for name in dashboards()
    }


BOARDS = committed()


def panels(board: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in board["panels"] if p["type"] != "row"]


def targets(board: dict[str, Any]) -> list[dict[str, Any]]:
    return [target for p in panels(board) for target in p["targets"]]


def test_the_committed_files_are_a_fresh_build() -> None:
    for name, text in render().items():
        path = DASHBOARDS / name
        assert path.exists(), f"{path} missing: run `pubwifi dashboards`"
        assert path.read_text(encoding="utf-8") == text, f"{path} is stale: `pubwifi dashboards`"


def test_schema_version_uids_and_panel_ids() -> None:
    uids = [board["uid"] for board in BOARDS.values()]
    assert len(set(uids)) == len(uids) == 5
    for name, board in BOARDS.items():
        assert board["schemaVersion"] == SCHEMA_VERSION >= 39, name
        assert board["timezone"] == "Asia/Seoul"
        ids = [p["id"] for p in board["panels"]]
        assert len(set(ids)) == len(ids), f"{name}: duplicate panel ids"
        assert all(isinstance(i, int) and i > 0 for i in ids)


def test_panels_stay_in_the_grid_and_never_overlap() -> None:
    for name, board in BOARDS.items():
        taken: set[tuple[int, int]] = set()
        for p in board["panels"]:
            g = p["gridPos"]
            assert g["x"] >= 0 and g["y"] >= 0 and g["w"] > 0 and g["h"] > 0, (name, p["title"])
            assert g["x"] + g["w"] <= 24, (name, p["title"])
            cells = {
                (x, y)
                for x in range(g["x"], g["x"] + g["w"])
                for y in range(g["y"], g["y"] + g["h"])
            }
            assert not cells & taken, f"{name}: {p['title']} overlaps another panel"
            taken |= cells


def test_the_layout_refuses_a_panel_wider_than_the_grid() -> None:
    with pytest.raises(ValueError, match="width 25"):
        Layout(0).place([Panel("stat", "x", [{}], width=25)])


def test_every_datasource_uid_is_provisioned() -> None:
    provisioned = yaml.safe_load((DASHBOARDS / "provisioning" / "datasources.yaml").read_text())
    known = {(d["uid"], d["type"]) for d in provisioned["datasources"]}
    assert len(known) == 2
    for name, board in BOARDS.items():
        for p in panels(board):
            refs = [p["datasource"], *(t["datasource"] for t in p["targets"])]
            for ref in refs:
                assert (ref["uid"], ref["type"]) in known, (name, p["title"], ref)
        for variable in board["templating"]["list"]:
            if "datasource" in variable:
                ref = variable["datasource"]
                assert (ref["uid"], ref["type"]) in known, (name, variable["name"])


def test_every_variable_a_query_uses_is_defined() -> None:
    for name, board in BOARDS.items():
        defined = {v["name"] for v in board["templating"]["list"]} | BUILTINS
        texts = [t.get("query") or t.get("expr") for t in targets(board)]
        texts += [json.dumps(v.get("query", "")) for v in board["templating"]["list"]]
        for text in texts:
            used = set(re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", text or ""))
            assert used <= defined, f"{name}: {sorted(used - defined)} undefined in {text}"


def test_titles_say_it_in_korean_and_english() -> None:
    for name, board in BOARDS.items():
        for title in [
            board["title"],
            *(p["title"] for p in board["panels"]),
        ]:
            assert HANGUL.search(title) and LATIN.search(title), f"{name}: {title!r}"


def _declared() -> dict[str, set[str]]:
    return {m.name: {*m.tags, *(fld.name for fld in m.fields)} for m in MEASUREMENTS}


def test_every_influxql_name_is_in_the_one_schema() -> None:
    declared = _declared()
    checked = 0
    for name, board in BOARDS.items():
        queries = [t["query"] for t in targets(board) if t["datasource"]["type"] == "influxdb"]
        queries += [
            v["query"] for v in board["templating"]["list"] if v["type"] == "query"
            and v["datasource"]["type"] == "influxdb"
        ]  # fmt: skip
        for query in queries:
            measurements = re.findall(r'FROM "([a-z_]+)"', query)
            assert measurements, f"{name}: no measurement in {query}"
            for measurement in measurements:
                assert measurement in declared, f"{name}: unknown measurement {measurement}"
            aliases = set(re.findall(r'AS "([a-z_]+)"', query))
            allowed = set().union(*(declared[m] for m in measurements)) | aliases
            for quoted in re.findall(r'"([A-Za-z_]+)"', query):
                if quoted in declared:
                    continue
                assert quoted in allowed, f"{name}: {quoted!r} is not in the schema: {query}"
            checked += 1
    assert checked >= 25


def test_a_renamed_field_or_tag_fails_the_build() -> None:
    assert f(AP_USAGE_DAILY, "rx_bytes") == '"rx_bytes"'
    with pytest.raises(KeyError, match="rx_octets"):
        f(AP_USAGE_DAILY, "rx_octets")
    with pytest.raises(KeyError, match="gu"):
        t(AP_USAGE_DAILY, "gu")


def _metric_names() -> set[str]:
    metrics = CollectorMetrics(CollectorRegistry())
    names = {"up"}
    with tempfile.TemporaryDirectory() as directory:
        workers = WorkerMetrics(directory, 2)
        families = [*metrics.registry.collect(), *workers.registry.collect()]
    suffixes = {
        "counter": ("_total", "_created"),
        "histogram": ("_bucket", "_sum", "_count", "_created"),
        "gauge": ("",),
    }
    for family in families:
        names |= {family.name + s for s in suffixes[family.type]}
    return names


def test_every_prometheus_metric_is_one_the_collector_exports() -> None:
    known = _metric_names()
    used: set[str] = set()
    board = BOARDS["collector-health.json"]
    exprs = [t["expr"] for t in targets(board)]
    exprs += [v["definition"] for v in board["templating"]["list"]]
    for expr in exprs:
        used |= set(re.findall(r"\b(pubwifi_[a-z_]+|up)\b", expr))
    assert used and used <= known, sorted(used - known)
    rules = yaml.safe_load((REPO / "collector/stack/rules/collector.rules.yml").read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            names = set(re.findall(r"\b(pubwifi_[a-z_]+)\b", rule["expr"]))
            assert names <= known, (rule["alert"], sorted(names - known))


def test_table_columns_and_series_names_are_mapped_to_what_people_read() -> None:
    usage = BOARDS["usage.json"]
    table = next(p for p in panels(usage) if p["type"] == "table")
    district = next(
        o for o in table["fieldConfig"]["overrides"] if o["matcher"]["options"] == "district"
    )
    mapping = next(p["value"] for p in district["properties"] if p["id"] == "mappings")
    assert mapping[0]["options"]["11680"]["text"] == "강남구 Gangnam-gu"
    assert len(mapping[0]["options"]) == 25
    by_mount = next(p for p in panels(usage) if "mount" in p["title"])
    names = {
        o["matcher"]["options"]: o["properties"][0]["value"]
        for o in by_mount["fieldConfig"]["overrides"]
    }
    assert names["smart_pole"] == "스마트폴 Smart pole"


def test_the_command_writes_then_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from collector.cli import main

    assert main(["dashboards", "--check", "--dir", str(tmp_path)]) == 1
    assert "usage.json: stale" in capsys.readouterr().err
    assert main(["dashboards", "--dir", str(tmp_path)]) == 0
    assert main(["dashboards", "--check", "--dir", str(tmp_path)]) == 0
    (tmp_path / "ap.json").write_text("{}", encoding="utf-8")
    assert main(["dashboards", "--check", "--dir", str(tmp_path)]) == 1
    assert "ap.json: stale" in capsys.readouterr().err
