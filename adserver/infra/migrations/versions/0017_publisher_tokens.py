"""publisher tokens: an API token may belong to a site (its publisher reads that site's reports)

Revision ID: 0017
Revises: 0016

A token has at most one owner: an advertiser, a site, or neither (the operator). Existing tokens keep theirs.
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("site_id", sa.String(length=64), nullable=True))
        batch.create_foreign_key("api_tokens_site_id_fkey", "sites", ["site_id"], ["id"], ondelete="CASCADE")
        batch.create_index("ix_api_tokens_site_id", ["site_id"], unique=False)
        batch.create_check_constraint("api_tokens_one_owner", "advertiser_id IS NULL OR site_id IS NULL")


def downgrade() -> None:
    """Publisher tokens go with the column: without it they would read as operator tokens."""
    op.execute("DELETE FROM api_tokens WHERE site_id IS NOT NULL")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_constraint("api_tokens_one_owner", type_="check")
        batch.drop_index("ix_api_tokens_site_id")
        batch.drop_constraint("api_tokens_site_id_fkey", type_="foreignkey")
        batch.drop_column("site_id")
