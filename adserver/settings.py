"""One settings object: `config/defaults.toml`, overridden by environment variables, validated at start."""

from __future__ import annotations

import dataclasses
import math
import os
import re
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

# The checkout; installed from a wheel (the container image), ADSERVER_ROOT names the folder with config/ and models/.
ROOT = Path(os.environ.get("ADSERVER_ROOT") or Path(__file__).resolve().parent.parent)
CONFIG_DIR = Path(os.environ.get("ADSERVER_CONFIG_DIR", ROOT / "config"))


class SettingsError(Exception):
    """A setting is missing or invalid; the message is one line naming it."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str
    secret_key: str
    redis_sentinels: tuple[str, ...] = ()  # host:port of each Sentinel; set: Redis is the master they name
    redis_sentinel_service: str = "adserver"
    redis_cluster_nodes: tuple[str, ...] = ()  # host:port of some nodes of a Redis Cluster; set: Redis is it
    redis_shards: int = 0  # event shards (hash tags); 0: 16 in a cluster, 1 (no tags) on one server
    rq_redis_url: str = ""  # the plain Redis rq's queues live in; empty: the service's Redis (not a cluster)
    environment: str = "production"
    public_url: str = ""
    allowed_hosts: tuple[str, ...] = ()
    placements: tuple[str, ...] = ("article-footer",)
    max_body_bytes: int = 16384
    queues: tuple[str, ...] = ("adserver-events",)
    catalog_poll_seconds: float = 2.0
    view_url_ttl: int = 3600
    click_url_ttl: int = 86400
    models_dir: str = "var/models"  # written by training and activation; seeded from the shipped models/
    model_poll_seconds: float = 2.0
    click_stats_poll_seconds: float = 60.0
    spool_dir: str = "var/spool"
    event_batch_size: int = 500
    beacon_rate_limit: int = 120
    impression_rate_limit: int = 300
    unknown_pages: str = "serve-unbilled"  # or refuse: for a page not on its site's domains (`serving.sites`)
    impression_replay_window: int = 3600
    trusted_proxy_hops: int = 0
    country_header: str = ""  # a CDN's header with the reader's country (CF-IPCountry); empty: look the address up
    geoip_db: str = ""  # a MaxMind-format .mmdb to look addresses up in; empty: iptocc's RIR table
    metrics_token: str = ""
    log_format: str = ""  # json | text; empty: json in production, text in development and tests
    log_level: str = "info"
    access_log: bool = True
    reach_counting: bool = True  # count every decision for the reach forecast (`adserver.forecast.tally`)
    # The relevance policy for advertisers' own campaigns (`catalog.policy`).
    self_service_min_relevance: float = 0.4
    common_word_zipf: float = 5.8
    extra: dict = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def key_shards(self) -> int:
        return self.redis_shards or (DEFAULT_CLUSTER_SHARDS if self.redis_cluster_nodes else 1)

    @property
    def spool_path(self) -> Path:
        p = Path(self.spool_dir)
        return p if p.is_absolute() else ROOT / p

    @property
    def models_path(self) -> Path:
        p = Path(self.models_dir)
        return p if p.is_absolute() else ROOT / p


def _coerce(name: str, raw, target_type):
    try:
        if target_type is bool:
            return raw if isinstance(raw, bool) else str(raw).lower() in ("1", "true", "yes", "on")
        if target_type is int:
            return int(raw)
        if target_type is float:
            return float(raw)
        if target_type == tuple[str, ...]:
            items = raw.split(",") if isinstance(raw, str) else raw
            return tuple(str(i).strip() for i in items if str(i).strip())
        return str(raw)
    except (TypeError, ValueError):
        raise SettingsError(f"setting {name.upper()}={raw!r} is not a valid {target_type.__name__}") from None


def load_settings(overrides: dict | None = None, env: dict | None = None) -> Settings:
    """Defaults file < environment < explicit overrides (tests, the CLI)."""
    env = os.environ if env is None else env
    defaults_file = CONFIG_DIR / "defaults.toml"
    try:
        values = tomllib.loads(defaults_file.read_text())
    except FileNotFoundError:
        values = {}
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{defaults_file}: {exc}") from None
    known = {f.name: f for f in dataclasses.fields(Settings) if f.name != "extra"}
    for name in known:
        if name.upper() in env:
            values[name] = env[name.upper()]
    for key, value in (overrides or {}).items():
        values[key.lower()] = value
    extra = {k: v for k, v in values.items() if k not in known}
    hints = typing.get_type_hints(Settings)
    kwargs = {name: _coerce(name, values[name], hints[name]) for name in known if name in values}
    for required in ("database_url", "redis_url", "secret_key"):
        if not kwargs.get(required):
            raise SettingsError(f"setting {required.upper()} is missing")
    if not kwargs.get("log_format"):
        kwargs["log_format"] = "text" if kwargs.get("environment") in RELAXED_ENVIRONMENTS else "json"
    settings = Settings(**kwargs, extra=extra)
    _validate(settings)
    return settings


DEFAULT_CLUSTER_SHARDS = 16
DEFAULT_SECRET_KEY = "dev-only-change-me"  # config/defaults.toml: public, so never served outside development
UNKNOWN_PAGES = ("serve-unbilled", "refuse")  # what a page that is none of its site's gets: a card never billed, or 204
RELAXED_ENVIRONMENTS = ("development", "test")  # chosen explicitly; the default environment is production
SECRET_KEY_MIN_CHARS = 32
SECRET_KEY_MIN_BITS = 85  # length x entropy of its own character frequencies (32 random hex digits: 89+)


def weak_secret(key: str) -> str:
    """Why `key` cannot sign tracking URLs in production ('' if it can): anyone who guesses it can forge
    clicks and spend budgets."""
    if key == DEFAULT_SECRET_KEY:
        return "is the public development default"
    if len(key) < SECRET_KEY_MIN_CHARS:
        return f"is shorter than {SECRET_KEY_MIN_CHARS} characters"
    counts = [key.count(c) for c in set(key)]
    bits = -sum(n * math.log2(n / len(key)) for n in counts)  # length x Shannon entropy per character
    if bits < SECRET_KEY_MIN_BITS:
        return "is too repetitive to be random"
    return ""


def host_port(entry: str) -> tuple[str, int]:
    """`host:port` (or `[v6]:port`) as (host, port); ValueError when it is not one."""
    host, _, port = entry.strip().rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(entry)
    return host.strip("[]"), int(port)


def _validate(s: Settings) -> None:
    if not (s.database_url.startswith("sqlite") or s.database_url.startswith("postgresql")):
        raise SettingsError(f"setting DATABASE_URL={s.database_url!r}: use sqlite:/// or postgresql+psycopg://")
    if urlparse(s.redis_url).scheme not in ("redis", "rediss", "unix"):
        raise SettingsError(f"setting REDIS_URL={s.redis_url!r}: use redis://host:port/db")
    for setting, entries in (("REDIS_SENTINELS", s.redis_sentinels), ("REDIS_CLUSTER_NODES", s.redis_cluster_nodes)):
        for entry in entries:
            try:
                host_port(entry)
            except ValueError:
                raise SettingsError(f"setting {setting}: {entry!r} is not host:port") from None
    if s.redis_cluster_nodes and s.redis_sentinels:
        raise SettingsError("settings REDIS_CLUSTER_NODES and REDIS_SENTINELS are both set: use one or the other")
    if s.redis_cluster_nodes and not s.rq_redis_url:
        raise SettingsError(
            "setting RQ_REDIS_URL is required with REDIS_CLUSTER_NODES: rq's queues need a plain Redis "
            "(redis://host:port/db), rq does not run on a cluster"
        )
    if s.rq_redis_url and urlparse(s.rq_redis_url).scheme not in ("redis", "rediss", "unix"):
        raise SettingsError(f"setting RQ_REDIS_URL={s.rq_redis_url!r}: use redis://host:port/db")
    if not 0 <= s.redis_shards <= 1024:
        raise SettingsError("setting REDIS_SHARDS must be between 0 (automatic) and 1024")
    if s.redis_sentinels:
        if not s.redis_sentinel_service:
            raise SettingsError("setting REDIS_SENTINEL_SERVICE is empty (the master's name in the Sentinels' config)")
    if s.environment not in ("development", "production", "test"):
        raise SettingsError(f"setting ENVIRONMENT={s.environment!r}: use development, production or test")
    if s.environment not in RELAXED_ENVIRONMENTS and (problem := weak_secret(s.secret_key)):
        raise SettingsError(
            f"setting SECRET_KEY {problem}: generate one with `python -c 'import secrets; "
            "print(secrets.token_urlsafe(32))'` (or set ENVIRONMENT=development on your own machine)"
        )
    if not s.placements:
        raise SettingsError("setting PLACEMENTS is empty")
    if s.unknown_pages not in UNKNOWN_PAGES:
        raise SettingsError(f"setting UNKNOWN_PAGES={s.unknown_pages!r}: use {' or '.join(UNKNOWN_PAGES)}")
    if s.public_url and not (urlparse(s.public_url).scheme in ("http", "https") and urlparse(s.public_url).hostname):
        raise SettingsError(f"setting PUBLIC_URL={s.public_url!r}: use the service's origin, https://host[:port]")
    if s.environment not in RELAXED_ENVIRONMENTS and not (s.public_url or s.allowed_hosts):
        # Else tracking URLs would be built from whatever Host header a client sends.
        raise SettingsError("setting PUBLIC_URL (the origin tracking URLs point to) or ALLOWED_HOSTS is required")
    if not 0 <= s.trusted_proxy_hops <= 5:
        raise SettingsError("setting TRUSTED_PROXY_HOPS must be between 0 (no proxy) and 5")
    if s.country_header and not re.fullmatch(r"[A-Za-z0-9-]{1,64}", s.country_header):
        raise SettingsError(f"setting COUNTRY_HEADER={s.country_header!r}: use a header name, like CF-IPCountry")
    if s.geoip_db and not Path(s.geoip_db).is_file():
        raise SettingsError(f"setting GEOIP_DB={s.geoip_db!r}: no such file (a MaxMind .mmdb, e.g. GeoLite2-Country)")
    if s.log_format not in ("json", "text"):
        raise SettingsError(f"setting LOG_FORMAT={s.log_format!r}: use json or text")
    if s.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise SettingsError(f"setting LOG_LEVEL={s.log_level!r}: use debug, info, warning, error or critical")
    if s.metrics_token and len(s.metrics_token) < 16:
        raise SettingsError("setting METRICS_TOKEN must be at least 16 characters (secrets.token_urlsafe(32))")
    if not 0 <= s.self_service_min_relevance <= 1:
        raise SettingsError("setting SELF_SERVICE_MIN_RELEVANCE must be between 0 and 1")
    if not 3 <= s.common_word_zipf <= 8:
        raise SettingsError("setting COMMON_WORD_ZIPF must be between 3 (refuses most words) and 8 (refuses none)")
    if s.max_body_bytes < 1024:
        raise SettingsError("setting MAX_BODY_BYTES must be at least 1024")
