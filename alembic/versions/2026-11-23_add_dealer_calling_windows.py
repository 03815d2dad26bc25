"""add dealer calling windows: the hours agents may call, per weekday (null: country default)

Revision ID: 0008
Revises: 0004
Create Date: 2026-11-24 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("dealer") as batch:
        batch.add_column(
            sa.Column(
                "calling_windows",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("dealer") as batch:
        batch.drop_column("calling_windows")
