"""events carry the reader's country; rollups count by country and device as well

Revision ID: 0012
Revises: 0008

The rollup's key gains both dimensions, so folds stay exact per row: the table is rebuilt with the new key
(on both engines alike; SQLite cannot change a primary key in place). Rows and events from before this
revision name neither: their country and device are `unknown` (the raw events' `ua_class` is not read back:
rate-limited counts have no raw row, and a rollup row must not be split on a guess). On PostgreSQL the
column added to the partitioned `events` reaches every partition.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0008"
branch_labels = None
depends_on = None

OLD_KEY = ["day", "campaign_id", "creative_id", "placement", "topic"]
DIMENSIONS = ["country", "device"]
UNKNOWN = "unknown"
# The count columns as of this revision (0002, 0003), and spend.
COUNTS = [
    *(f"{p}{k}" for p in ("", "nonbillable_", "bot_", "prefetch_") for k in ("impressions", "views", "clicks")),
    "rate_limited_views", "rate_limited_clicks", "spend",
]  # fmt: skip
_DEFAULT = {c: "0" for c in COUNTS[6:-1]}  # 0003's columns have a server default, 0002's none


def _rebuild(key: list[str], added: str = "") -> None:
    """Recreate `daily_rollups` with `key`: its rows summed over the columns the two keys share, with `added`
    (SQL) selected for the columns only the new key has."""
    shared = ", ".join(OLD_KEY)
    sums = ", ".join(f"sum({c}) AS {c}" for c in COUNTS)
    op.execute(
        f"CREATE TABLE daily_rollups_rebuilt AS SELECT {shared}{added}, {sums} FROM daily_rollups GROUP BY {shared}"
    )
    op.drop_table("daily_rollups")
    op.create_table(
        "daily_rollups",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("creative_id", sa.String(length=64), nullable=False),
        sa.Column("placement", sa.String(length=64), nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=False),
        *(sa.Column(c, sa.String(length=8), server_default=UNKNOWN, nullable=False) for c in key[len(OLD_KEY) :]),
        *(sa.Column(c, sa.BigInteger(), nullable=False, server_default=_DEFAULT.get(c)) for c in COUNTS[:-1]),
        sa.Column("spend", sa.Numeric(precision=16, scale=6), nullable=False),
        sa.PrimaryKeyConstraint(*key, name="daily_rollups_pkey"),
    )
    op.create_index("ix_rollups_campaign_day", "daily_rollups", ["campaign_id", "day"])
    cols = ", ".join([*key, *COUNTS])
    op.execute(f"INSERT INTO daily_rollups ({cols}) SELECT {cols} FROM daily_rollups_rebuilt")
    op.drop_table("daily_rollups_rebuilt")


def upgrade() -> None:
    op.add_column("events", sa.Column("country", sa.String(length=8), server_default="", nullable=False))
    _rebuild([*OLD_KEY, *DIMENSIONS], "".join(f", '{UNKNOWN}' AS {c}" for c in DIMENSIONS))


def downgrade() -> None:
    """Rows that differ only by country or device are added together under the old key."""
    _rebuild(OLD_KEY)
    with op.batch_alter_table("events") as batch:
        batch.drop_column("country")
