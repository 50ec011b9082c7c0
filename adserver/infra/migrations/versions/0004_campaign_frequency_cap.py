"""campaign frequency cap (impressions per publisher-provided reader id within a window)

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("frequency_cap", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("frequency_hours", sa.Integer(), nullable=False, server_default="24"))


def downgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("frequency_hours")
        batch.drop_column("frequency_cap")
