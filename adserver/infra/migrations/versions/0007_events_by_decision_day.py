"""events carry their decision's day; on PostgreSQL the table is partitioned by it, one partition a day

Revision ID: 0007
Revises: 0011

PostgreSQL: the existing table is renamed, a partitioned `events` (with a default partition) takes its
name, sequence and indexes, every row is copied (its `decided_on` is the day it occurred: before this
revision no event said otherwise), and the rows are moved into day partitions by `partitions`.
"""

import sqlalchemy as sa
from alembic import op

from adserver.events import partitions

revision = "0007"
down_revision = "0011"
branch_labels = None
depends_on = None

# Columns as 0002 made them, minus id; decided_on goes after event_type.
COLUMNS = [
    "decision_id", "event_type", "campaign_id", "creative_id", "advertiser_id", "placement", "topic", "hook_variant",
    "score", "billable", "reason", "cost", "occurred_at", "ip_hash", "ua_class", "keywords",
]  # fmt: skip


def _columns(decided_on: bool) -> list[sa.Column]:
    return [
        sa.Column("id", sa.BigInteger(), server_default=sa.text("nextval('events_id_seq')"), nullable=False),
        sa.Column("decision_id", sa.String(length=32), nullable=False),
        sa.Column("event_type", sa.String(length=12), nullable=False),
        *([sa.Column("decided_on", sa.Date(), nullable=False)] if decided_on else []),
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("creative_id", sa.String(length=64), nullable=False),
        sa.Column("advertiser_id", sa.String(length=64), nullable=False),
        sa.Column("placement", sa.String(length=64), nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=False),
        sa.Column("hook_variant", sa.String(length=100), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("billable", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("cost", sa.Numeric(precision=14, scale=6), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ip_hash", sa.String(length=64), nullable=False),
        sa.Column("ua_class", sa.String(length=16), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
    ]


def _set_aside(old: str) -> None:
    """Rename `events` and the names it holds (constraints and indexes share one namespace) to `old`."""
    op.rename_table("events", old)
    op.execute(f"ALTER TABLE {old} RENAME CONSTRAINT events_pkey TO {old}_pkey")
    op.execute(f"ALTER TABLE {old} RENAME CONSTRAINT uq_events_decision_type TO {old}_uq")
    op.execute(f"ALTER INDEX ix_events_campaign_id RENAME TO {old}_campaign_id")
    op.execute(f"ALTER INDEX ix_events_occurred_at RENAME TO {old}_occurred_at")
    op.execute(f"ALTER TABLE {old} ALTER COLUMN id DROP DEFAULT")


def _indexes() -> None:
    op.create_index("ix_events_campaign_id", "events", ["campaign_id"])
    op.create_index("ix_events_occurred_at", "events", ["occurred_at"])


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        with op.batch_alter_table("events") as batch:
            batch.add_column(sa.Column("decided_on", sa.Date(), nullable=True))
        op.execute("UPDATE events SET decided_on = substr(occurred_at, 1, 10)")
        with op.batch_alter_table("events") as batch:
            batch.alter_column("decided_on", existing_type=sa.Date(), nullable=False)
            batch.drop_constraint("uq_events_decision_type", type_="unique")
            batch.create_unique_constraint("uq_events_decision_type", ["decision_id", "event_type", "decided_on"])
        return
    _set_aside("events_unpartitioned")
    op.execute("ALTER SEQUENCE events_id_seq OWNED BY NONE")
    op.create_table(
        "events",
        *_columns(decided_on=True),
        sa.PrimaryKeyConstraint("id", "decided_on", name="events_pkey"),  # must hold the partition column
        sa.UniqueConstraint("decision_id", "event_type", "decided_on", name="uq_events_decision_type"),
        postgresql_partition_by="RANGE (decided_on)",
    )
    op.execute("ALTER SEQUENCE events_id_seq OWNED BY events.id")
    _indexes()
    op.execute(f"CREATE TABLE {partitions.DEFAULT} PARTITION OF events DEFAULT")
    cols = ", ".join(COLUMNS)
    op.execute(
        f"INSERT INTO events (id, decided_on, {cols}) "
        f"SELECT id, (occurred_at AT TIME ZONE 'UTC')::date, {cols} FROM events_unpartitioned"
    )
    op.drop_table("events_unpartitioned")
    partitions.create_partitions(op.get_bind())


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        with op.batch_alter_table("events") as batch:
            batch.drop_constraint("uq_events_decision_type", type_="unique")
            batch.create_unique_constraint("uq_events_decision_type", ["decision_id", "event_type"])
            batch.drop_column("decided_on")
        return
    _set_aside("events_partitioned")
    op.execute("ALTER SEQUENCE events_id_seq OWNED BY NONE")
    op.create_table(
        "events",
        *_columns(decided_on=False),
        sa.PrimaryKeyConstraint("id", name="events_pkey"),
        sa.UniqueConstraint("decision_id", "event_type", name="uq_events_decision_type"),
    )
    op.execute("ALTER SEQUENCE events_id_seq OWNED BY events.id")
    _indexes()
    cols = ", ".join(COLUMNS)
    op.execute(
        f"INSERT INTO events (id, {cols}) SELECT id, {cols} FROM events_partitioned ORDER BY id "
        "ON CONFLICT (decision_id, event_type) DO NOTHING"
    )
    op.drop_table("events_partitioned")
