"""Settings: defaults file < environment < overrides; bad values fail at start in one line."""

from __future__ import annotations

import pytest

from adserver import create_app
from adserver.settings import SettingsError, load_settings

DEV = {"ENVIRONMENT": "development"}
STRONG_KEY = "q3F9xL2vR7mT0bN8cW4kH6yJ1sD5gA2e"


def test_environment_overrides_defaults():
    s = load_settings(env={**DEV, "REDIS_URL": "redis://10.0.0.1:6380/2", "PLACEMENTS": "a, b"})
    assert s.redis_url == "redis://10.0.0.1:6380/2"
    assert s.placements == ("a", "b")


def test_overrides_beat_environment():
    s = load_settings({"redis_url": "redis://x:1/0"}, env={**DEV, "REDIS_URL": "redis://y:2/0"})
    assert s.redis_url == "redis://x:1/0"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({**DEV, "DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({**DEV, "REDIS_URL": "http://x"}, "REDIS_URL"),
        ({**DEV, "MAX_BODY_BYTES": "lots"}, "MAX_BODY_BYTES"),
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
        create_app({"database_url": "oracle://x", "environment": "development"})


@pytest.mark.parametrize(
    "key",
    [
        "dev-only-change-me",  # the public default
        "x" * 16,  # 16 identical characters
        "ab" * 20,  # long but repetitive
        "short-but-mixed-Key-123",
    ],
)
def test_a_public_short_or_repetitive_secret_key_is_refused_unless_development_is_explicit(key):
    for env in ({"SECRET_KEY": key}, {"SECRET_KEY": key, "ENVIRONMENT": "production"}):
        with pytest.raises(SettingsError, match="SECRET_KEY"):
            load_settings(env=env)
    assert load_settings(env={"SECRET_KEY": key, "ENVIRONMENT": "development"}).secret_key == key


def test_a_random_secret_key_serves_in_production():
    s = load_settings(env={"SECRET_KEY": STRONG_KEY, "PUBLIC_URL": "https://ads.example.com"})
    assert s.environment == "production"


@pytest.mark.parametrize("origin", [{"PUBLIC_URL": "https://ads.example.com"}, {"ALLOWED_HOSTS": "ads.example.com"}])
def test_production_needs_a_public_url_or_allowed_hosts(origin):
    with pytest.raises(SettingsError, match="PUBLIC_URL"):
        load_settings(env={"SECRET_KEY": STRONG_KEY})
    assert load_settings(env={"SECRET_KEY": STRONG_KEY, **origin})


def test_a_public_url_must_be_an_origin():
    with pytest.raises(SettingsError, match="PUBLIC_URL"):
        load_settings(env={**DEV, "PUBLIC_URL": "ads.example.com"})


def test_the_default_environment_is_production():
    with pytest.raises(SettingsError, match="public development default"):
        load_settings(env={})
