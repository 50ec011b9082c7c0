"""advertiser relevance floor: the lowest min_relevance an advertiser may set itself (NULL: the operator's default)

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("advertisers") as batch:
        batch.add_column(sa.Column("min_relevance", sa.Numeric(4, 3), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("advertisers") as batch:
        batch.drop_column("min_relevance")
