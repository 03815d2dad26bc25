"""add invitation run tables: seasonal campaign overrides and nightly-run progress

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "seasonal_campaign",
        *_timestamps(),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("dealer_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("start_month", sa.Integer(), nullable=False),
        sa.Column("start_day", sa.Integer(), nullable=False),
        sa.Column("end_month", sa.Integer(), nullable=False),
        sa.Column("end_day", sa.Integer(), nullable=False),
        sa.Column("after_easter", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.CheckConstraint(
            "kind IN ('autumn_tyres', 'spring_tyres', 'ac_check', 'winter_check')",
            name=op.f("ck_seasonal_campaign_kind_valid"),
        ),
        sa.CheckConstraint(
            "start_month BETWEEN 1 AND 12", name=op.f("ck_seasonal_campaign_start_month_valid")
        ),
        sa.CheckConstraint(
            "end_month BETWEEN 1 AND 12", name=op.f("ck_seasonal_campaign_end_month_valid")
        ),
        sa.CheckConstraint(
            "start_day BETWEEN 1 AND 31", name=op.f("ck_seasonal_campaign_start_day_valid")
        ),
        sa.CheckConstraint(
            "end_day BETWEEN 1 AND 31", name=op.f("ck_seasonal_campaign_end_day_valid")
        ),
        sa.ForeignKeyConstraint(
            ["dealer_id"],
            ["dealer.id"],
            name=op.f("fk_seasonal_campaign_dealer_id_dealer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seasonal_campaign")),
    )
    with op.batch_alter_table("seasonal_campaign", schema=None) as batch_op:
        batch_op.create_index(
            "uq_seasonal_campaign_code_all_dealers",
            ["code"],
            unique=True,
            sqlite_where=sa.text("dealer_id IS NULL"),
            postgresql_where=sa.text("dealer_id IS NULL"),
        )
        batch_op.create_index(
            "uq_seasonal_campaign_dealer_id_code",
            ["dealer_id", "code"],
            unique=True,
            sqlite_where=sa.text("dealer_id IS NOT NULL"),
            postgresql_where=sa.text("dealer_id IS NOT NULL"),
        )

    op.create_table(
        "nightly_run",
        *_timestamps(),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dealer_id", sa.Integer(), nullable=False),
        sa.Column("run_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("cursor", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("vehicles", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("rows_written", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'completed')", name=op.f("ck_nightly_run_status_valid")
        ),
        sa.CheckConstraint(
            "phase IN ('invitations', 'tasks', 'done')", name=op.f("ck_nightly_run_phase_valid")
        ),
        sa.ForeignKeyConstraint(
            ["dealer_id"],
            ["dealer.id"],
            name=op.f("fk_nightly_run_dealer_id_dealer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nightly_run")),
        sa.UniqueConstraint(
            "dealer_id", "run_date", name=op.f("uq_nightly_run_dealer_id_run_date")
        ),
    )


def downgrade() -> None:
    op.drop_table("nightly_run")
    with op.batch_alter_table("seasonal_campaign", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_seasonal_campaign_dealer_id_code",
            sqlite_where=sa.text("dealer_id IS NOT NULL"),
            postgresql_where=sa.text("dealer_id IS NOT NULL"),
        )
        batch_op.drop_index(
            "uq_seasonal_campaign_code_all_dealers",
            sqlite_where=sa.text("dealer_id IS NULL"),
            postgresql_where=sa.text("dealer_id IS NULL"),
        )
    op.drop_table("seasonal_campaign")
