"""advertiser limits the operator sets on self-service: budget caps and price floors

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

COLUMNS = ("max_total_budget", "max_daily_budget", "min_cpm", "min_cpc")


def upgrade() -> None:
    with op.batch_alter_table("advertisers") as batch:
        for name in COLUMNS:
            batch.add_column(sa.Column(name, sa.Numeric(14, 4), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("advertisers") as batch:
        for name in COLUMNS:
            batch.drop_column(name)
