"""events carry their page's site; rollups count by site, and apart what unknown pages were served

Revision ID: 0016
Revises: 0015

The rollup's key gains `site`, so the table is rebuilt with the new key (as 0012 did: SQLite cannot change a
primary key in place). Events and rollup rows from before this revision were all the implicit site's:
`default`. A worker of this revision takes events queued before it (no `site`: `default`), so a rolling deploy
loses none. Pages none of whose site's (`unknown-origin`) are counted apart, like bots.
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

OLD_KEY = ["day", "campaign_id", "creative_id", "placement", "topic", "country", "device"]
DEFAULT = "default"
UNKNOWN = "unknown"
# The count columns as of 0012, and spend; then this revision's.
COUNTS = [
    *(f"{p}{k}" for p in ("", "nonbillable_", "bot_", "prefetch_") for k in ("impressions", "views", "clicks")),
    "rate_limited_views", "rate_limited_clicks", "spend",
]  # fmt: skip
ADDED = ["unknown_origin_impressions", "unknown_origin_views", "unknown_origin_clicks"]
_DEFAULT = {c: "0" for c in COUNTS[6:-1]}  # 0003's columns have a server default, 0002's none


def _rebuild(key: list[str], counts: list[str], added: str = "") -> None:
    """Recreate `daily_rollups` with `key` and `counts`: its rows summed over the columns the two keys share,
    with `added` (SQL) selected for what only the new table has."""
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
        sa.Column("country", sa.String(length=8), server_default=UNKNOWN, nullable=False),
        sa.Column("device", sa.String(length=8), server_default=UNKNOWN, nullable=False),
        *([sa.Column("site", sa.String(length=64), server_default=DEFAULT, nullable=False)] if "site" in key else []),
        *(sa.Column(c, sa.BigInteger(), nullable=False, server_default=_DEFAULT.get(c)) for c in COUNTS[:-1]),
        *(sa.Column(c, sa.BigInteger(), nullable=False, server_default="0") for c in counts[len(COUNTS) :]),
        sa.Column("spend", sa.Numeric(precision=16, scale=6), nullable=False),
        sa.PrimaryKeyConstraint(*key, name="daily_rollups_pkey"),
    )
    op.create_index("ix_rollups_campaign_day", "daily_rollups", ["campaign_id", "day"])
    cols = ", ".join([*key, *COUNTS])
    op.execute(f"INSERT INTO daily_rollups ({cols}) SELECT {cols} FROM daily_rollups_rebuilt")
    op.drop_table("daily_rollups_rebuilt")


def upgrade() -> None:
    op.add_column("events", sa.Column("site", sa.String(length=64), server_default=DEFAULT, nullable=False))
    _rebuild([*OLD_KEY, "site"], [*COUNTS, *ADDED], f", '{DEFAULT}' AS site")


def downgrade() -> None:
    """Rows that differ only by site are added together under the old key; unknown pages' counts stay in
    nonbillable_*."""
    _rebuild(OLD_KEY, COUNTS)
    with op.batch_alter_table("events") as batch:
        batch.drop_column("site")
