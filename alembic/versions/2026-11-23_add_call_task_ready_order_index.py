"""add call task ready order index

The ready queue in exactly "next call"'s order (priority, longest waiting, id), so claiming for
an agent whose scope spans several dealers reads the head of the queue instead of sorting every
ready task of the scope. PostgreSQL only, like ix_call_task_ready_queue.

Revision ID: 0012
Revises: 0010
Create Date: 2026-11-23 13:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_call_task_ready_order",
            "call_task",
            [sa.text("priority DESC"), sa.text("next_attempt_at NULLS FIRST"), "id"],
            postgresql_where=sa.text("status = 'ready'"),
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_call_task_ready_order", table_name="call_task")
