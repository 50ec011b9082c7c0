"""sites: the news sites a deployment serves, each with its domains and its own rules

Revision ID: 0015
Revises: 0014

A catalog without a row here has one implicit site, `default`, that every page belongs to (as before).
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sites",
        sa.Column("id", sa.String(length=64), primary_key=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("domains", sa.JSON(), nullable=False),
        sa.Column("placements", sa.JSON(), nullable=False),
        sa.Column("blocked_advertisers", sa.JSON(), nullable=False),
        sa.Column("exclude_categories", sa.JSON(), nullable=False),
        sa.Column("revenue_share", sa.Numeric(precision=5, scale=4), nullable=False, server_default="0"),
        sa.Column("status", sa.String(length=16), nullable=False, server_default="active"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sites")
