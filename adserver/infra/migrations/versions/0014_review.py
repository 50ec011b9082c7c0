"""review before serving: approved and pending proposals on campaigns and creatives, trusted advertisers

Revision ID: 0014
Revises: 0013

What is in the catalog when this runs was the operator's or served already: it stays approved.
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("campaigns", "creatives"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("approved", sa.Boolean(), nullable=False, server_default=sa.true()))
            batch.add_column(sa.Column("pending", sa.JSON(), nullable=True))
            batch.add_column(sa.Column("review_reason", sa.String(500), nullable=True))
    with op.batch_alter_table("advertisers") as batch:
        batch.add_column(sa.Column("trusted", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("advertisers") as batch:
        batch.drop_column("trusted")
    for table in ("creatives", "campaigns"):
        with op.batch_alter_table(table) as batch:
            for column in ("review_reason", "pending", "approved"):
                batch.drop_column(column)
