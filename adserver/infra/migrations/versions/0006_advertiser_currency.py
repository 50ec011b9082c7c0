"""advertiser currency (ISO 4217) of prices, budgets and spend

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("advertisers") as batch:
        batch.add_column(sa.Column("currency", sa.String(length=3), nullable=False, server_default="EUR"))


def downgrade() -> None:
    with op.batch_alter_table("advertisers") as batch:
        batch.drop_column("currency")
