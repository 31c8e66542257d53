from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from collector.errors import InputError
from collector.secrets import Secret, SecretRef, UnsetSecretError
from collector.settings import load_settings


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
