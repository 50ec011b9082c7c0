"""Settings: defaults file < environment < overrides; bad values fail at start in one line."""

from __future__ import annotations

import pytest

from adserver import create_app
from adserver.settings import SettingsError, load_settings


def test_environment_overrides_defaults():
    s = load_settings(env={"REDIS_URL": "redis://10.0.0.1:6380/2", "PLACEMENTS": "a, b"})
    assert s.redis_url == "redis://10.0.0.1:6380/2"
    assert s.placements == ("a", "b")


def test_overrides_beat_environment():
    s = load_settings({"redis_url": "redis://x:1/0"}, env={"REDIS_URL": "redis://y:2/0"})
    assert s.redis_url == "redis://x:1/0"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"REDIS_URL": "http://x"}, "REDIS_URL"),
        ({"MAX_BODY_BYTES": "lots"}, "MAX_BODY_BYTES"),
        ({"ENVIRONMENT": "production"}, "SECRET_KEY"),
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
    ],
)
def test_bad_setting_is_one_clear_line(env, message):
    with pytest.raises(SettingsError) as exc:
        load_settings(env=env)
    assert message in str(exc.value) and "\n" not in str(exc.value)


def test_app_factory_refuses_bad_settings_at_start():
    with pytest.raises(SettingsError):
        create_app({"database_url": "oracle://x"})
