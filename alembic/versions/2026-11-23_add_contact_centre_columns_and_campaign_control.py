"""add contact centre columns and campaign control

The call task's calling time zone and country, the queue indexes of "next call", the
disposition flag for retries in another part of the day, and the supervisor's campaign switches.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 11:06:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_READY = sa.text("status = 'ready'")
_CALLBACK = sa.text("status = 'callback'")


def upgrade() -> None:
    op.create_table(
        "campaign_control",
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dealer_id", sa.Integer(), nullable=False),
        sa.Column("invitation_type", sa.String(length=24), nullable=False),
        sa.Column("paused", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("priority_boost", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint(
            "invitation_type IN ('first_service', 'next_service', 'warranty_expiry', 'lapsed', "
            "'recall', 'seasonal', 'churn_risk', 'no_show')",
            name=op.f("ck_campaign_control_invitation_type_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["dealer_id"], ["dealer.id"], name=op.f("fk_campaign_control_dealer_id_dealer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_control")),
        sa.UniqueConstraint(
            "dealer_id",
            "invitation_type",
            name=op.f("uq_campaign_control_dealer_id_invitation_type"),
        ),
    )
    with op.batch_alter_table("call_task") as batch_op:
        batch_op.add_column(sa.Column("time_zone", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("country", sa.String(length=2), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_call_task_ready_queue",
            "call_task",
            ["dealer_id", sa.text("priority DESC"), "next_attempt_at"],
            postgresql_where=_READY,
        )
    op.create_index(
        "ix_call_task_callback_at",
        "call_task",
        ["callback_at"],
        sqlite_where=_CALLBACK,
        postgresql_where=_CALLBACK,
    )
    with op.batch_alter_table("disposition") as batch_op:
        batch_op.add_column(
            sa.Column(
                "other_part_of_day", sa.Boolean(), server_default=sa.text("false"), nullable=False
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("disposition") as batch_op:
        batch_op.drop_column("other_part_of_day")
    op.drop_index("ix_call_task_callback_at", table_name="call_task")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_call_task_ready_queue", table_name="call_task")
    with op.batch_alter_table("call_task") as batch_op:
        batch_op.drop_column("country")
        batch_op.drop_column("time_zone")
    op.drop_table("campaign_control")
