"""non-billable traffic by reason (bot, prefetch, rate-limited) and the fold log

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 11:00:00
"""

from collections import defaultdict
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

REASON_COLUMNS = [f"{r}_{k}" for r in ("bot", "prefetch") for k in ("impressions", "views", "clicks")]
COLUMNS = [*REASON_COLUMNS, "rate_limited_views", "rate_limited_clicks"]
GROUP = {"bot": "bot", "no_user_agent": "bot", "prefetch": "prefetch"}
KIND = {"impression": "impressions", "view": "views", "click": "clicks"}


def upgrade() -> None:
    with op.batch_alter_table("daily_rollups", schema=None) as batch_op:
        for c in COLUMNS:
            batch_op.add_column(sa.Column(c, sa.BigInteger(), server_default="0", nullable=False))
    op.create_table(
        "event_folds",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("folded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("event_folds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_folds_folded_at"), ["folded_at"], unique=False)
    _backfill()


def _backfill() -> None:
    """Split the existing non-billable rollups by reason, from the raw events (which keep the reason)."""
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT occurred_at, campaign_id, creative_id, placement, topic, event_type, reason "
            "FROM events WHERE billable = :f AND reason IN ('bot', 'no_user_agent', 'prefetch')"
        ),
        {"f": False},
    )
    counts: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for at, campaign, creative, placement, topic, kind, reason in rows:
        if isinstance(at, datetime):  # PostgreSQL: aware, in the session's time zone; days are UTC
            day = (at.astimezone(UTC) if at.tzinfo else at).date()
        else:  # SQLite: the stored UTC text
            day = date.fromisoformat(str(at)[:10])
        counts[(day, campaign, creative, placement, topic)][f"{GROUP[reason]}_{KIND[kind]}"] += 1
    if not counts:
        return
    r = sa.table(
        "daily_rollups",
        *(sa.column(c) for c in ("day", "campaign_id", "creative_id", "placement", "topic", *REASON_COLUMNS)),
    )
    for (day, campaign, creative, placement, topic), values in counts.items():
        conn.execute(
            r.update()
            .where(
                r.c.day == day,
                r.c.campaign_id == campaign,
                r.c.creative_id == creative,
                r.c.placement == placement,
                r.c.topic == topic,
            )
            .values(**values)
        )


def downgrade() -> None:
    with op.batch_alter_table("event_folds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_folds_folded_at"))
    op.drop_table("event_folds")
    with op.batch_alter_table("daily_rollups", schema=None) as batch_op:
        for c in reversed(COLUMNS):
            batch_op.drop_column(c)
