"""The reach counts in SQL: folded in from Redis by the worker (exactly once per fold, as the rate-limited
beacons are: the hashes are renamed to a fold's keys, and the transaction that adds them records the fold id in
`event_folds`), kept for `KEEP_DAYS`, and read back as the forecast's window."""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property

import numpy as np
import orjson
import redis
from sqlalchemy import Table, func, select, update
from sqlalchemy.engine import Connection

from ..events.store import first_fold, insert
from ..infra import storage
from ..infra.keys import REACH, REACH_ARTICLES, REACH_FOLDED, REACH_FOLDS, reach_fold
from ..infra.lua import TAKE_REACH
from ..serving.context import ArticleContext
from ..serving.taxonomy import taxonomy
from .articles import Reading

WINDOW_DAYS = 28  # the days a forecast reads: four whole weeks, so every weekday weighs the same
KEEP_DAYS = 35  # the days kept in SQL: the window and a week to spare
FOLD_SECONDS = 60  # the worker folds the counts at most this often (the forecast reads whole past days)


# --- from Redis to SQL ------------------------------------------------------------------------------------


def fold_due(conn: redis.Redis, db: storage.Database) -> int:
    """`fold`, at most once per FOLD_SECONDS across every worker (the persist job calls it)."""
    if not conn.set(REACH_FOLDED, "1", nx=True, ex=FOLD_SECONDS):
        return 0
    return fold(conn, db)


def fold(conn: redis.Redis, db: storage.Database) -> int:
    """Add the counts waiting in Redis to SQL (and any fold a dead worker left); returns the decisions added."""
    fold_id = uuid.uuid4().hex
    conn.register_script(TAKE_REACH)(keys=[REACH, REACH_ARTICLES, *reach_fold(fold_id), REACH_FOLDS], args=[fold_id])
    return sum(_fold(conn, db, m.decode()) for m in sorted(conn.smembers(REACH_FOLDS)))


def _fold(conn: redis.Redis, db: storage.Database, fold_id: str) -> int:
    counts_key, articles_key = reach_fold(fold_id)
    audience: dict[tuple, int] = defaultdict(int)
    articles: dict[tuple, int] = defaultdict(int)
    seen: dict[str, date] = {}
    for field, n in conn.hgetall(counts_key).items():
        hour, site, placement, country, device, topic, article = orjson.loads(field)
        day = date.fromordinal(date(1970, 1, 1).toordinal() + hour // 24)
        audience[(day, hour % 24, site, placement, country, device, topic)] += int(n)
        articles[(day, site, placement, article)] += int(n)
        seen[article] = max(seen.get(article, day), day)
    readings = {k.decode(): orjson.loads(v) for k, v in conn.hgetall(articles_key).items()}
    added = 0
    if audience:
        with db.engine.begin() as sql:
            now = first_fold(sql, fold_id)
            if now is not None:  # not written before
                _add(sql, storage.ReachAudience.__table__, audience, "decisions")
                _add(sql, storage.ReachArticleDay.__table__, articles, "decisions")
                _readings(sql, readings, seen)
                _forget(sql, now.date() - timedelta(days=KEEP_DAYS))
                added = sum(audience.values())
    pipe = conn.pipeline(transaction=True)  # one slot
    pipe.delete(counts_key, articles_key)
    pipe.srem(REACH_FOLDS, fold_id)
    pipe.execute()
    return added


def _add(sql: Connection, table: Table, counts: dict[tuple, int], column: str) -> None:
    """Upsert `counts` (primary key -> n), adding n to what the row holds; in key order, so two writers lock
    rows in one order."""
    key = [c.name for c in table.primary_key.columns]
    ins = insert(table, sql)
    sql.execute(
        ins.on_conflict_do_update(index_elements=key, set_={column: table.c[column] + ins.excluded[column]}),
        [dict(zip(key, k, strict=True)) | {column: n} for k, n in sorted(counts.items())],
    )


def _readings(sql: Connection, readings: dict[str, dict], seen: dict[str, date]) -> None:
    """New readings stored; every article counted gets its last day (what `_forget` goes by)."""
    table = storage.ReachArticle.__table__
    today = max(seen.values())
    if readings:
        ins = insert(table, sql)
        sql.execute(
            ins.on_conflict_do_nothing(index_elements=["id"]),
            [{"id": k, "reading": v, "seen_on": seen.get(k, today)} for k, v in sorted(readings.items())],
        )
    by_day: dict[date, list[str]] = defaultdict(list)
    for article, day in seen.items():
        by_day[day].append(article)
    for day, ids in sorted(by_day.items()):
        for i in range(0, len(ids), 500):
            sql.execute(
                update(table).where(table.c.id.in_(sorted(ids[i : i + 500])), table.c.seen_on < day).values(seen_on=day)
            )


def _forget(sql: Connection, before: date) -> None:
    for model in (storage.ReachAudience, storage.ReachArticleDay):
        t = model.__table__
        sql.execute(t.delete().where(t.c.day < before))
    t = storage.ReachArticle.__table__
    sql.execute(t.delete().where(t.c.seen_on < before))


def pending(conn: redis.Redis) -> int:
    """Decisions counted in Redis and not yet in SQL."""
    keys = [REACH, *(reach_fold(m.decode())[0] for m in conn.smembers(REACH_FOLDS))]
    return sum(int(n) for k in keys for n in conn.hvals(k))


# --- from SQL to a forecast --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AudienceRow:
    day: date
    hour: int
    site: str
    placement: str
    country: str
    device: str
    topic: str
    decisions: int


@dataclass(frozen=True)
class ArticleRow:
    site: str
    placement: str
    reading: Reading
    decisions: int  # over the window


@dataclass(frozen=True)
class Window:
    """The recorded decisions a forecast reads: whole UTC days, the last WINDOW_DAYS before `today` (fewer when
    counting began later)."""

    days: tuple[date, ...]
    audience: tuple[AudienceRow, ...]
    articles: tuple[ArticleRow, ...]

    @cached_property
    def countries(self) -> tuple[str, ...]:
        return tuple(sorted({r.country for r in self.audience}))

    @cached_property
    def devices(self) -> tuple[str, ...]:
        return tuple(sorted({r.device for r in self.audience}))

    @cached_property
    def by_bucket(self) -> dict[tuple[str, str, str], Columns]:
        """The audience by (site, placement, topic), as columns: a forecast reads only the buckets its articles
        are in, and applies the readers' rules to a whole bucket at once."""
        day = {d: i for i, d in enumerate(self.days)}
        country = {c: i for i, c in enumerate(self.countries)}
        device = {d: i for i, d in enumerate(self.devices)}
        rows: dict[tuple[str, str, str], list[tuple[int, int, int, int, int]]] = defaultdict(list)
        for r in self.audience:
            if r.day in day:
                rows[(r.site, r.placement, r.topic)].append(
                    (day[r.day], r.hour, country[r.country], device[r.device], r.decisions)
                )
        return {b: Columns(*np.array(got, dtype=np.int64).T) for b, got in rows.items()}

    @cached_property
    def read(self) -> tuple[Article, ...]:
        """Each article as the rules take it, read once per window (not once per forecast)."""
        out = []
        for a in self.articles:
            ctx = a.reading.context(a.site, a.placement)
            out.append(Article(a, (a.site, a.placement, a.reading.counted), ctx, taxonomy().resolve(ctx.topic),
                               ctx.text_words()))  # fmt: skip
        return tuple(out)


@dataclass(frozen=True)
class Columns:
    """One bucket's audience rows, column by column (indexes into `Window.days`, `countries`, `devices`)."""

    day: np.ndarray
    hour: np.ndarray
    country: np.ndarray
    device: np.ndarray
    decisions: np.ndarray


@dataclass(frozen=True)
class Article:
    row: ArticleRow
    bucket: tuple[str, str, str]  # (site, placement, counted topic): where its readers are counted
    ctx: ArticleContext
    declared: str  # the taxonomy node of its topic
    words: set[str]


def load_window(db: storage.Database, today: date, days: int = WINDOW_DAYS) -> Window:
    start, end = today - timedelta(days=days), today - timedelta(days=1)
    aud = storage.ReachAudience.__table__
    art, per_day = storage.ReachArticle.__table__, storage.ReachArticleDay.__table__
    with db.engine.connect() as sql:
        first = sql.scalar(select(func.min(aud.c.day)))
        rows = sql.execute(select(aud).where(aud.c.day.between(start, end))).all()
        sums = (
            select(per_day.c.site, per_day.c.placement, per_day.c.article, func.sum(per_day.c.decisions).label("n"))
            .where(per_day.c.day.between(start, end))
            .group_by(per_day.c.site, per_day.c.placement, per_day.c.article)
            .subquery()
        )
        counted = sql.execute(
            select(sums.c.site, sums.c.placement, art.c.reading, sums.c.n)
            .join(art, art.c.id == sums.c.article)
            .order_by(sums.c.site, sums.c.placement, sums.c.article)
        ).all()
    if first is None or first > end:
        return Window((), (), ())
    span = [start + timedelta(days=i) for i in range(days) if start + timedelta(days=i) >= first]
    return Window(
        tuple(span),
        tuple(AudienceRow(*r) for r in rows),
        tuple(ArticleRow(s, p, Reading.from_dict(r), int(n)) for s, p, r, n in counted),
    )


class WindowCache:
    """This process's window, read again when the day changes, and after `seconds` (a fold a minute after midnight
    may still add to yesterday)."""

    def __init__(self, db: storage.Database, seconds: float = 3600.0):
        self.db, self.seconds = db, seconds
        self._held: tuple[date, float, Window] | None = None

    def get(self, today: date) -> Window:
        held = self._held
        if held is None or held[0] != today or time.monotonic() - held[1] > self.seconds:
            held = self._held = (today, time.monotonic(), load_window(self.db, today))
        return held[2]
