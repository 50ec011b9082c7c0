"""Settings: defaults, environment overrides, one-line errors at start."""

from __future__ import annotations

import subprocess
import sys

import pytest

from adserver import create_app
from adserver.settings import SettingsError, load_settings

BASE = {"DATABASE_URL": "sqlite:///x.sqlite3", "REDIS_URL": "redis://127.0.0.1:6379/0", "SECRET_KEY": "k" * 20}


def test_environment_overrides_defaults():
    s = load_settings(env={**BASE, "MAX_KEYWORDS": "7"})
    assert s.max_keywords == 7


def test_queues_default_to_the_events_queue():
    assert load_settings(env=BASE).queues == ("adserver-events",)


def test_queues_come_from_a_comma_separated_variable():
    assert load_settings(env={**BASE, "QUEUES": "a, b"}).queues == ("a", "b")


def test_bad_database_url_is_one_line_naming_it():
    with pytest.raises(SettingsError) as e:
        load_settings(env={**BASE, "DATABASE_URL": "mysql://x"})
    assert "DATABASE_URL" in str(e.value)
    assert "\n" not in str(e.value)


def test_production_without_secret_key_is_refused():
    with pytest.raises(SettingsError) as e:
        load_settings(env={**BASE, "ENVIRONMENT": "production", "SECRET_KEY": "dev-only-change-me"})
    assert "SECRET_KEY" in str(e.value)


def test_non_number_setting_names_the_variable():
    with pytest.raises(SettingsError, match="MAX_KEYWORDS"):
        load_settings(env={**BASE, "MAX_KEYWORDS": "many"})


def test_app_factory_refuses_bad_settings():
    with pytest.raises(SettingsError):
        create_app({"database_url": "oracle://x"})


def test_cli_reports_a_bad_database_url_in_one_line(tmp_path):
    r = subprocess.run(
        [sys.executable, "-m", "adserver.cli", "db", "upgrade"],
        env={"DATABASE_URL": "mysql://nope", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert r.returncode != 0
    assert r.stderr.strip().count("\n") == 0
    assert "DATABASE_URL" in r.stderr
