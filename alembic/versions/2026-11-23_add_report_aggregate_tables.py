"""add report aggregate tables: daily funnel counts and per-customer stage flags

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FLAGS = (
    "control",
    "control_arrived",
    "targeted",
    "attempted",
    "reached",
    "booked",
    "arrived_from_booking",
    "arrived",
)


def _keys(table: str) -> list[sa.Column]:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dealer_id", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("type", sa.String(length=24), nullable=False),
        sa.Column("segment", sa.String(length=16), nullable=False),
        sa.Column("suppressed_reason", sa.String(length=48), nullable=True),
        sa.ForeignKeyConstraint(
            ["dealer_id"],
            ["dealer.id"],
            name=op.f(f"fk_{table}_dealer_id_dealer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def upgrade() -> None:
    op.create_table(
        "report_funnel_day",
        *_keys("report_funnel_day"),
        sa.Column("due", sa.Integer(), nullable=False),
        *[sa.Column(flag, sa.Integer(), nullable=False) for flag in FLAGS],
        sa.Column("revenue_customer_pay", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("revenue_warranty", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("revenue_internal", sa.Numeric(precision=14, scale=2), nullable=False),
    )
    op.create_index(
        "ix_report_funnel_day_dealer_id_due_date",
        "report_funnel_day",
        ["dealer_id", "due_date"],
    )
    op.create_table(
        "report_funnel_customer_day",
        *_keys("report_funnel_customer_day"),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        *[sa.Column(flag, sa.Integer(), nullable=False) for flag in FLAGS],
    )
    op.create_index(
        "ix_report_funnel_customer_day_dealer_id_due_date",
        "report_funnel_customer_day",
        ["dealer_id", "due_date"],
    )


def downgrade() -> None:
    op.drop_index(
        "ix_report_funnel_customer_day_dealer_id_due_date", table_name="report_funnel_customer_day"
    )
    op.drop_table("report_funnel_customer_day")
    op.drop_index("ix_report_funnel_day_dealer_id_due_date", table_name="report_funnel_day")
    op.drop_table("report_funnel_day")
