"""add report period tables: distinct customers per dealer and calendar month, quarter, year

``report_funnel_period`` holds the distinct-customer counts of the funnel per dealer and period;
``report_funnel_shared_customer`` the customers with invitations at several dealers in a period,
which a report over several dealers subtracts once each. Both are filled by the aggregate refresh
(``retention report rebuild`` fills them for existing data).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-23 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
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


def _keys(table: str, *, reason_nullable: bool) -> list[sa.Column]:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dealer_id", sa.Integer(), nullable=False),
        sa.Column("grain", sa.String(length=8), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("type", sa.String(length=24), nullable=False),
        sa.Column("segment", sa.String(length=16), nullable=False),
        sa.Column("suppressed_reason", sa.String(length=48), nullable=reason_nullable),
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
        "report_funnel_period",
        *_keys("report_funnel_period", reason_nullable=False),
        sa.Column("due", sa.Integer(), nullable=False),
        *[sa.Column(flag, sa.Integer(), nullable=False) for flag in FLAGS],
        sa.UniqueConstraint(
            "grain",
            "period_start",
            "dealer_id",
            "type",
            "segment",
            "suppressed_reason",
            name="uq_report_funnel_period_key",
        ),
    )
    op.create_table(
        "report_funnel_shared_customer",
        *_keys("report_funnel_shared_customer", reason_nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        *[sa.Column(flag, sa.Integer(), nullable=False) for flag in FLAGS],
    )
    op.create_index(
        "ix_report_funnel_shared_customer_period_customer",
        "report_funnel_shared_customer",
        ["grain", "period_start", "customer_id"],
    )
    op.create_index(
        "ix_report_funnel_shared_customer_dealer_period",
        "report_funnel_shared_customer",
        ["dealer_id", "grain", "period_start"],
    )
    op.create_index(
        "ix_report_funnel_customer_day_customer_id_due_date",
        "report_funnel_customer_day",
        ["customer_id", "due_date"],
    )


def downgrade() -> None:
    op.drop_index(
        "ix_report_funnel_customer_day_customer_id_due_date",
        table_name="report_funnel_customer_day",
    )
    op.drop_index(
        "ix_report_funnel_shared_customer_dealer_period",
        table_name="report_funnel_shared_customer",
    )
    op.drop_index(
        "ix_report_funnel_shared_customer_period_customer",
        table_name="report_funnel_shared_customer",
    )
    op.drop_table("report_funnel_shared_customer")
    op.drop_table("report_funnel_period")
