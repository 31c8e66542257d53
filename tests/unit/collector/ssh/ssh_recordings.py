"""Recorded SSH outputs of the lab's dialects, and the script that re-records them.

The parse tests compare against the committed files under ``recorded/<platform>/``: one
``<slug>.txt`` per command (raw output), its golden parse ``<slug>.json`` (template rows), and
``facts.json`` (the golden ApFacts). When the lab's dialects change on purpose, regenerate with
``python tests/unit/collector/ssh/ssh_recordings.py`` and review the diff.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
from collections.abc import Mapping
from pathlib import Path

from collector.lab.ssh.dialects import dialect_for
from collector.lab.ssh.engine import CliSession
from collector.lab.ssh.samples import sample_state
from collector.lab.state import DeviceState
from collector.ssh.facts import ApFacts, RadioFacts, SsidFacts
from collector.ssh.parse import parse_facts
from collector.ssh.profile import SshProfile, load_ssh_profiles

RECORDED = Path(__file__).resolve().parent / "recorded"
BOOT = 1_700_000_000.0
NOW = BOOT + 9 * 86400 + 2 * 3600 + 3 * 60 + 4  # 1w2d02:03:04 after boot
COUNTS: dict[tuple[str, str], int] = {
    ("2.4GHz", "Seoul_Free_WiFi"): 3,
    ("2.4GHz", "Seoul_Secure"): 1,
    ("5GHz", "Seoul_Free_WiFi"): 2,
    ("5GHz", "Seoul_Secure"): 4,
    ("6GHz", "Seoul_Secure"): 2,
}


def ap_id(platform: str) -> str:
    return f"AP-REC-{platform}"


def fixed_clients(state: DeviceState, now: float) -> Mapping[tuple[str, str], int]:
    return COUNTS


def session(platform: str, **extra: object) -> CliSession:
    """A logged-in session (privileged where the profile enables) with the fixed clock and
    client table."""
    cli = CliSession(
        dialect_for(platform),
        sample_state(platform, ap_id(platform), boot_time=BOOT),
        user="admin",
        secret="pw",
        clock=lambda: NOW,
        clients=fixed_clients,
        **extra,  # type: ignore[arg-type]
    )
    if load_ssh_profiles()[platform].enable:
        cli.feed_line("enable")
        cli.feed_line("pw")
    return cli


def collect(profile: SshProfile, cli: CliSession) -> dict[str, str]:
    """Run the facts commands then the follow-ups, as the sweep does."""
    outputs = {command: cli.run_command(command) for command in profile.commands}
    while more := profile.follow_up(outputs):
        outputs.update({command: cli.run_command(command) for command in more})
    return outputs


def slug(command: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", command.lower()).strip("_")


def facts_to_json(facts: ApFacts) -> dict[str, object]:
    return dataclasses.asdict(facts)


def facts_from_json(data: dict[str, object]) -> ApFacts:
    radios = data.pop("radios")
    ssids = data.pop("ssids")
    assert isinstance(radios, list) and isinstance(ssids, list)
    return ApFacts(
        **data,  # type: ignore[arg-type]
        radios=tuple(RadioFacts(**r) for r in radios),
        ssids=tuple(SsidFacts(**s) for s in ssids),
    )


def template_rows(profile: SshProfile, command: str, output: str) -> list[dict[str, object]]:
    """The golden parse of one command: its template's rows."""
    for parse in profile.parses:
        pattern = re.escape(parse.command)
        pattern = re.sub(r"\\\{[a-z_]+\\\}", r"\\S+", pattern)
        if re.fullmatch(pattern, command):
            return [dict(row) for row in parse.template.parse(output.replace("\r\n", "\n"))]
    raise KeyError(command)


def record(directory: Path = RECORDED) -> None:
    for platform, profile in sorted(load_ssh_profiles().items()):
        target = directory / platform
        target.mkdir(parents=True, exist_ok=True)
        for old in target.iterdir():
            old.unlink()
        outputs = collect(profile, session(platform))
        for command, output in outputs.items():
            (target / f"{slug(command)}.txt").write_text(output)
            rows = template_rows(profile, command, output)
            (target / f"{slug(command)}.json").write_text(json.dumps(rows, indent=1) + "\n")
        facts = parse_facts(profile, outputs)
        (target / "facts.json").write_text(json.dumps(facts_to_json(facts), indent=1) + "\n")
        (target / "commands.json").write_text(json.dumps(list(outputs), indent=1) + "\n")
        print(f"{platform}: {len(outputs)} commands recorded in {target}")


if __name__ == "__main__":
    record(Path(sys.argv[1]) if len(sys.argv) > 1 else RECORDED)
