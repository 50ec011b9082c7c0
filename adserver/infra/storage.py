"""SQL storage: SQLAlchemy 2 tables and the engine/session owned by the app.

Schema changes go through Alembic (`adserver/infra/migrations`, `adserver db upgrade`); tests and the
CLI use the same migrations, never `create_all`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    false,
    text,
    true,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
    sessionmaker,
)

from ..settings import ROOT
from . import counters


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict: JSON, list: JSON}


class Advertiser(Base):
    __tablename__ = "advertisers"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    domain: Mapped[str] = mapped_column(String(200), default="")
    currency: Mapped[str] = mapped_column(String(3), default="EUR", server_default="EUR")  # of prices and spend
    # What the operator allows the advertiser's own changes (`self_service`): caps on the sums of its campaigns'
    # budgets and floors on its prices; NULL allows nothing (no budget may be raised, no such pricing offered).
    max_total_budget: Mapped[Decimal | None] = mapped_column(Numeric(14, 4), nullable=True)
    max_daily_budget: Mapped[Decimal | None] = mapped_column(Numeric(14, 4), nullable=True)
    min_cpm: Mapped[Decimal | None] = mapped_column(Numeric(14, 4), nullable=True)
    min_cpc: Mapped[Decimal | None] = mapped_column(Numeric(14, 4), nullable=True)
    # The lowest `targeting.min_relevance` it may set itself; NULL: the operator's default (`catalog.policy`).
    min_relevance: Mapped[Decimal | None] = mapped_column(Numeric(4, 3), nullable=True)
    # Its own changes serve as they are made, unreviewed (`catalog.review`).
    trusted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    campaigns: Mapped[list[Campaign]] = relationship(
        back_populates="advertiser", cascade="all, delete-orphan", order_by="Campaign.id"
    )


class Reviewed:
    """Review (`catalog.review`): false until an operator approves a new one; `pending` holds an advertiser's
    proposal for an approved one (document form), `review_reason` the operator's refusal."""

    approved: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    pending: Mapped[dict | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    review_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)


class Campaign(Reviewed, Base):
    __tablename__ = "campaigns"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    advertiser_id: Mapped[str] = mapped_column(ForeignKey("advertisers.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="active")
    starts_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    ends_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    house: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    pricing_model: Mapped[str] = mapped_column(String(8))
    price: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    total_budget: Mapped[Decimal | None] = mapped_column(Numeric(14, 4), nullable=True)
    daily_budget: Mapped[Decimal | None] = mapped_column(Numeric(14, 4), nullable=True)
    pacing: Mapped[str] = mapped_column(String(8), default="even")
    frequency_cap: Mapped[int | None] = mapped_column(Integer, nullable=True)
    frequency_hours: Mapped[int] = mapped_column(Integer, default=24, server_default="24")
    targeting: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    advertiser: Mapped[Advertiser] = relationship(back_populates="campaigns")
    creatives: Mapped[list[Creative]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan", order_by="Creative.id"
    )


class Creative(Reviewed, Base):
    """A sponsor card."""

    __tablename__ = "creatives"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    display_name: Mapped[str] = mapped_column(String(200))
    tagline: Mapped[str] = mapped_column(String(200), default="")
    hook: Mapped[str] = mapped_column(String(300), default="")
    hook_variants: Mapped[dict] = mapped_column(JSON, default=dict)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    code_lines: Mapped[list] = mapped_column(JSON, default=list)
    cta_text: Mapped[str] = mapped_column(String(100))
    landing_url: Mapped[str] = mapped_column(String(2000))
    secondary_cta_text: Mapped[str | None] = mapped_column(String(100), nullable=True)
    secondary_cta_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    fine_print: Mapped[str] = mapped_column(String(300), default="")
    image_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")  # active | paused
    campaign: Mapped[Campaign] = relationship(back_populates="creatives")


class Site(Base):
    """A news site the deployment serves (`catalog.sites`): only its domains' pages bill."""

    __tablename__ = "sites"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    domains: Mapped[list] = mapped_column(JSON, default=list)  # hosts, punycode; `*.x` for x's subdomains
    placements: Mapped[list] = mapped_column(JSON, default=list)  # empty: every placement
    blocked_advertisers: Mapped[list] = mapped_column(JSON, default=list)
    exclude_categories: Mapped[list] = mapped_column(JSON, default=list)
    revenue_share: Mapped[Decimal] = mapped_column(Numeric(5, 4), default=0)  # the publisher's part of spend
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | archived
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ApiToken(Base):
    """An API token; only its SHA-256 is stored. Its owner: an advertiser, a site (a publisher's token) or, with
    neither, the operator."""

    __tablename__ = "api_tokens"
    __table_args__ = (CheckConstraint("advertiser_id IS NULL OR site_id IS NULL", name="api_tokens_one_owner"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    advertiser_id: Mapped[str | None] = mapped_column(
        ForeignKey("advertisers.id", ondelete="CASCADE"), nullable=True, index=True
    )
    site_id: Mapped[str | None] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), nullable=True, index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class CatalogMeta(Base):
    """One row: the catalog version, bumped in the same transaction as every catalog change."""

    __tablename__ = "catalog_meta"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


def make_engine(database_url: str) -> Engine:
    if database_url.startswith("sqlite:///") and not database_url.startswith("sqlite:///:memory:"):
        path = Path(database_url.removeprefix("sqlite:///"))
        if not path.is_absolute():
            path = ROOT / path
            database_url = f"sqlite:///{path}"
        path.parent.mkdir(parents=True, exist_ok=True)
    if database_url.startswith("sqlite"):
        engine = create_engine(database_url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # WAL: readers never block the writer
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return create_engine(database_url, pool_pre_ping=True, pool_size=5, max_overflow=5)


class Database:
    """Owns the engine and the session factory for one app or CLI run."""

    def __init__(self, database_url: str):
        self.url = database_url
        self.engine = make_engine(database_url)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.sessionmaker() as s:
            try:
                yield s
                s.commit()
            except BaseException:
                s.rollback()
                raise

    @contextmanager
    def change(self) -> Iterator[Session]:
        """`session` for a change that reads what it checks (a budget sum, a free id) before writing. SQLite takes
        its write lock first (BEGIN IMMEDIATE), so a concurrent change waits for it instead of failing on a stale
        read; on PostgreSQL the caller locks the rows it checks (SELECT ... FOR UPDATE)."""
        with self.session() as s:
            if self.engine.dialect.name == "sqlite":
                s.execute(text("BEGIN IMMEDIATE"))
            yield s

    def bump_catalog_version(self, s: Session) -> int:
        meta = s.get(CatalogMeta, 1)
        if meta is None:
            meta = CatalogMeta(id=1, version=0)
            s.add(meta)
        meta.version += 1
        meta.updated_at = utcnow()
        s.flush()
        return meta.version

    def catalog_version(self) -> int:
        with self.sessionmaker() as s:
            meta = s.get(CatalogMeta, 1)
            return meta.version if meta else 0

    def dispose(self) -> None:
        self.engine.dispose()


class Event(Base):
    """One raw event; (decision_id, event_type) is unique, so retried batches never double count.

    `decided_on` is the UTC day of the decision the event belongs to, a function of the decision id, so
    the unique key may carry it: on PostgreSQL the table is partitioned by it (`partitions.py`), and a
    partitioned table's unique keys must include the partition column."""

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("decision_id", "event_type", "decided_on", name="uq_events_decision_type"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    decision_id: Mapped[str] = mapped_column(String(32))
    event_type: Mapped[str] = mapped_column(String(12))  # impression | view | click
    decided_on: Mapped[date] = mapped_column(Date)
    campaign_id: Mapped[str] = mapped_column(String(64), index=True)
    creative_id: Mapped[str] = mapped_column(String(64))
    advertiser_id: Mapped[str] = mapped_column(String(64))
    placement: Mapped[str] = mapped_column(String(64))
    topic: Mapped[str] = mapped_column(String(100), default="")
    hook_variant: Mapped[str] = mapped_column(String(100), default="")
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    billable: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(24), default="")  # '' when billable, else bot | prefetch
    cost: Mapped[Decimal] = mapped_column(Numeric(14, 6), default=0)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    ip_hash: Mapped[str] = mapped_column(String(64), default="")
    ua_class: Mapped[str] = mapped_column(String(16), default="")
    keywords: Mapped[list] = mapped_column(JSON, default=list)
    country: Mapped[str] = mapped_column(String(8), server_default="")  # the reader's, '' unknown
    site: Mapped[str] = mapped_column(String(64), server_default=counters.DEFAULT_SITE)  # the page's (`sites`)


# One count column per `counters.ROLLUP` name (billable, not billable, not billed by reason, refused).
_RollupCounters = type(
    "_RollupCounters",
    (),
    {
        name: mapped_column(
            BigInteger, nullable=False, default=0, server_default=None if name in counters.FIRST_SCHEMA else "0"
        )
        for name in counters.ROLLUP
    },
)


class DailyRollup(_RollupCounters, Base):
    """Counts per `counters.DIMENSIONS` (day x campaign x creative x placement x topic x country x device x site),
    from the raw events."""

    __tablename__ = "daily_rollups"
    __table_args__ = (Index("ix_rollups_campaign_day", "campaign_id", "day"),)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    campaign_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    creative_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    placement: Mapped[str] = mapped_column(String(64), primary_key=True)
    topic: Mapped[str] = mapped_column(String(100), primary_key=True)
    country: Mapped[str] = mapped_column(String(8), primary_key=True, server_default=counters.UNKNOWN)
    device: Mapped[str] = mapped_column(String(8), primary_key=True, server_default=counters.UNKNOWN)
    site: Mapped[str] = mapped_column(String(64), primary_key=True, server_default=counters.DEFAULT_SITE)
    spend: Mapped[Decimal] = mapped_column(Numeric(16, 6), default=0)


class EventFold(Base):
    """One row per Redis aggregate folded into the rollups: a retried fold finds its id and does nothing."""

    __tablename__ = "event_folds"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    folded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class ReachAudience(Base):
    """Billable decisions per UTC day and hour x site x placement x reader's country and device x the article's
    counted topic, whoever won (or nothing): the forecast's audience (`adserver.forecast`). No reader, no address."""

    __tablename__ = "reach_audience"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    hour: Mapped[int] = mapped_column(Integer, primary_key=True)  # UTC, 0..23
    site: Mapped[str] = mapped_column(String(64), primary_key=True)
    placement: Mapped[str] = mapped_column(String(64), primary_key=True)
    country: Mapped[str] = mapped_column(String(8), primary_key=True)  # '' unknown
    device: Mapped[str] = mapped_column(String(8), primary_key=True)  # '' unknown
    topic: Mapped[str] = mapped_column(String(100), primary_key=True)  # `taxonomy.reported_topic`
    decisions: Mapped[int] = mapped_column(BigInteger, nullable=False)


class ReachArticle(Base):
    """An article as decisions read it (its content, never its readers), by a digest of that content: what a
    forecast matches a campaign's topics, keywords and exclusions against."""

    __tablename__ = "reach_articles"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    reading: Mapped[dict] = mapped_column(JSON)  # `forecast.articles.Reading` as a dict
    seen_on: Mapped[date] = mapped_column(Date, index=True)  # the last day it was counted


class ReachArticleDay(Base):
    """Billable decisions per UTC day x site x placement x article (`ReachArticle`)."""

    __tablename__ = "reach_article_days"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    site: Mapped[str] = mapped_column(String(64), primary_key=True)
    placement: Mapped[str] = mapped_column(String(64), primary_key=True)
    article: Mapped[str] = mapped_column(String(32), primary_key=True)
    decisions: Mapped[int] = mapped_column(BigInteger, nullable=False)


class ModelVersion(Base):
    """A trained relevance model shared by every host: the artifact's bytes, its metadata and sha256."""

    __tablename__ = "model_versions"
    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    artifact: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)  # the joblib file (`MAX_ARTIFACT_BYTES`)
    artifact_sha256: Mapped[str] = mapped_column(String(64))
    meta: Mapped[dict] = mapped_column("metadata", JSON)  # metadata.json as training wrote it
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ModelActivation(Base):
    """Each activation (or rollback) of a version; the newest row is the version every host serves."""

    __tablename__ = "model_activations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version: Mapped[str] = mapped_column(ForeignKey("model_versions.version"))
    activated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    note: Mapped[str] = mapped_column(String(32), default="")  # '' | rollback
