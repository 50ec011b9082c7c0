"""reach forecast: decisions counted per day and hour x site x placement x country x device x topic, and per
article, whoever won (`adserver.forecast`)

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reach_audience",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("site", sa.String(length=64), nullable=False),
        sa.Column("placement", sa.String(length=64), nullable=False),
        sa.Column("country", sa.String(length=8), nullable=False),
        sa.Column("device", sa.String(length=8), nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=False),
        sa.Column("decisions", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "hour", "site", "placement", "country", "device", "topic"),
    )
    op.create_table(
        "reach_articles",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("reading", sa.JSON(), nullable=False),
        sa.Column("seen_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_reach_articles_seen_on"), "reach_articles", ["seen_on"])
    op.create_table(
        "reach_article_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("site", sa.String(length=64), nullable=False),
        sa.Column("placement", sa.String(length=64), nullable=False),
        sa.Column("article", sa.String(length=32), nullable=False),
        sa.Column("decisions", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "site", "placement", "article"),
    )


def downgrade() -> None:
    op.drop_table("reach_article_days")
    op.drop_index(op.f("ix_reach_articles_seen_on"), table_name="reach_articles")
    op.drop_table("reach_articles")
    op.drop_table("reach_audience")
