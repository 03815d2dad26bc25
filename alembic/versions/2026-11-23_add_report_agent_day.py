"""add report_agent_day: the agent KPI report's daily aggregate

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_agent_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("dealer_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("contacts", sa.Integer(), nullable=False),
        sa.Column("bookings", sa.Integer(), nullable=False),
        sa.Column("arrived", sa.Integer(), nullable=False),
        sa.Column("handling_seconds", sa.Float(), nullable=False),
        sa.Column("span_seconds", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["app_user.id"],
            name=op.f("fk_report_agent_day_agent_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["dealer_id"],
            ["dealer.id"],
            name=op.f("fk_report_agent_day_dealer_id_dealer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_agent_day")),
    )
    op.create_index("ix_report_agent_day_dealer_id_day", "report_agent_day", ["dealer_id", "day"])


def downgrade() -> None:
    op.drop_index("ix_report_agent_day_dealer_id_day", table_name="report_agent_day")
    op.drop_table("report_agent_day")
