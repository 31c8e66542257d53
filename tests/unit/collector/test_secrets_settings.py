from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from collector.errors import InputError
from collector.influx.writer import WriteResult, WriteRetryableError
from collector.secrets import Secret, SecretRef, UnsetSecretError
from collector.settings import Settings, load_settings


def test_secret_never_prints_its_value() -> None:
    secret = Secret("hunter2-Seoul")
    assert "hunter2" not in repr(secret) and "hunter2" not in str(secret)
    assert "hunter2" not in f"{secret} {secret!r} {[secret]}"
    assert secret.reveal() == "hunter2-Seoul"
    with pytest.raises(TypeError):
        pickle.dumps(secret)


def test_secret_ref_resolves_from_environment() -> None:
    ref = SecretRef.parse("${PUBWIFI_SSH_PASSWORD}")
    assert ref.resolve({"PUBWIFI_SSH_PASSWORD": "x"}).reveal() == "x"
    with pytest.raises(UnsetSecretError):
        ref.resolve({})
    with pytest.raises(ValueError):
        SecretRef.parse("plain-text-password")


def test_settings_precedence_env_over_file(tmp_path: Path) -> None:
    config = tmp_path / "pubwifi.toml"
    config.write_text('poll_interval_s = 60\n[influx]\nurl = "http://127.0.0.1:18086"\n')
    settings = load_settings(
        {
            "PUBWIFI_CONFIG": str(config),
            "PUBWIFI_POLL_INTERVAL": "30",
            "PUBWIFI_INFLUX_TOKEN": "tok-123",
        },
    )
    assert settings.poll_interval_s == 30
    assert settings.influx.url == "http://127.0.0.1:18086"
    assert settings.influx.token is not None and settings.influx.token.reveal() == "tok-123"
    assert "tok-123" not in repr(settings)


def test_no_default_web_secret_key() -> None:
    with pytest.raises(InputError):
        load_settings({}).require_web_secret_key()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PUBWIFI_POLL_INTERVAL": "soon"}, "poll_interval_s: expected int"),
        ({"PUBWIFI_INFLUX_FLAVOUR": "v9"}, "expected 'v1' or 'v2'"),
    ],
)
def test_bad_settings_are_input_errors(env: dict[str, str], message: str) -> None:
    with pytest.raises(InputError, match=message):
        load_settings(env)


def test_unknown_setting_in_file(tmp_path: Path) -> None:
    config = tmp_path / "pubwifi.toml"
    config.write_text("colour = 'blue'\n")
    with pytest.raises(InputError, match="colour: unknown setting"):
        load_settings({}, config_file=config)


def test_spool_cap_from_file_and_environment(tmp_path: Path) -> None:
    assert load_settings({}).spool_cap_bytes == 2 * 1024**3
    config = tmp_path / "pubwifi.toml"
    config.write_text("spool_cap_bytes = 1_048_576\n")
    assert load_settings({}, config_file=config).spool_cap_bytes == 1_048_576
    env = {"PUBWIFI_CONFIG": str(config), "PUBWIFI_SPOOL_CAP_BYTES": "65536"}
    assert load_settings(env).spool_cap_bytes == 65_536


@pytest.mark.parametrize("raw", ["0", "-1", "1.5", "2GiB", "", " ", "²", "1e9"])
def test_spool_cap_from_environment_must_be_a_positive_integer(raw: str) -> None:
    if not raw:  # an empty variable counts as unset, like every PUBWIFI_* variable
        assert load_settings({"PUBWIFI_SPOOL_CAP_BYTES": raw}).spool_cap_bytes == 2 * 1024**3
        return
    with pytest.raises(InputError, match=r"spool_cap_bytes: expected a positive integer"):
        load_settings({"PUBWIFI_SPOOL_CAP_BYTES": raw})


@pytest.mark.parametrize("value", ["0", "-5", "1.5", "true", '"lots"', "[1]"])
def test_spool_cap_in_file_must_be_a_positive_integer(tmp_path: Path, value: str) -> None:
    config = tmp_path / "pubwifi.toml"
    config.write_text(f"spool_cap_bytes = {value}\n")
    with pytest.raises(InputError, match=r"spool_cap_bytes: expected a positive integer"):
        load_settings({}, config_file=config)


def test_spool_cap_reaches_the_spool(tmp_path: Path) -> None:
    from collector.collect.pipeline import open_pipeline
    from collector.inventory.model import Inventory

    inventory = Inventory(str(tmp_path / "inventory.yaml"), {}, {}, {}, {}, ())
    settings = Settings(data_dir=tmp_path, spool_cap_bytes=20_000)
    pipeline = open_pipeline(settings, inventory, writer=NeverWriter())
    try:
        spool = pipeline.sink.spool
        assert spool.cap_bytes == 20_000
        for start in range(0, 3000, 50):  # ~100 kB, nothing shipped: the cap must drop lines
            spool.append(
                [f"m,ap=AP-{i} v={i}i {1_700_000_000 + i}" for i in range(start, start + 50)]
            )
        assert spool.dropped_lines > 0
        assert spool.size_bytes <= 20_000 + spool.segment_bytes
    finally:
        pipeline.close(drain_timeout_s=0)


class NeverWriter:
    """An InfluxDB that is always away (so the spool only fills)."""

    def write(self, lines: list[str]) -> WriteResult:
        raise WriteRetryableError("away", "connection")

    def close(self) -> None:
        """Nothing to close."""
