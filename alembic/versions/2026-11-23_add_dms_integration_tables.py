"""add dms integration tables: per-dealer DMS configuration, handled webhook events, record
versions (out-of-order events), pull watermarks, the appointment outbox; and the reason an odometer
reading was rejected.

Written on branch dms as 0005 after 0003; the lead re-chains it after 0004 when merging.

Revision ID: 0005
Revises: 0008
Create Date: 2026-11-23 11:16:36.169712
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "dms_integration",
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dealer_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("webhook_secret", sa.String(length=200), nullable=True),
        sa.Column("outbound_url", sa.String(length=500), nullable=True),
        sa.Column("outbound_secret", sa.String(length=200), nullable=True),
        sa.Column("pull_base_url", sa.String(length=500), nullable=True),
        sa.Column("pull_token", sa.String(length=500), nullable=True),
        sa.Column("pull_enabled", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.ForeignKeyConstraint(
            ["dealer_id"],
            ["dealer.id"],
            name=op.f("fk_dms_integration_dealer_id_dealer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dms_integration")),
        sa.UniqueConstraint("dealer_id", name=op.f("uq_dms_integration_dealer_id")),
    )
    op.create_table(
        "dms_record_version",
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dealer_id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("record_key", sa.String(length=200), nullable=False),
        sa.Column("source_updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dealer_id"],
            ["dealer.id"],
            name=op.f("fk_dms_record_version_dealer_id_dealer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dms_record_version")),
        sa.UniqueConstraint(
            "dealer_id",
            "entity",
            "record_key",
            name=op.f("uq_dms_record_version_dealer_id_entity_record_key"),
        ),
    )
    op.create_table(
        "dms_watermark",
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dealer_id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("updated_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["dealer_id"],
            ["dealer.id"],
            name=op.f("fk_dms_watermark_dealer_id_dealer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dms_watermark")),
        sa.UniqueConstraint("dealer_id", "entity", name=op.f("uq_dms_watermark_dealer_id_entity")),
    )
    op.create_table(
        "dms_webhook_event",
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dealer_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("source_updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('applied', 'stale')", name=op.f("ck_dms_webhook_event_outcome_valid")
        ),
        sa.ForeignKeyConstraint(
            ["dealer_id"],
            ["dealer.id"],
            name=op.f("fk_dms_webhook_event_dealer_id_dealer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dms_webhook_event")),
        sa.UniqueConstraint(
            "dealer_id", "event_id", name=op.f("uq_dms_webhook_event_dealer_id_event_id")
        ),
    )
    op.create_table(
        "appointment_outbox",
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dealer_id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("change", sa.String(length=16), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "change IN ('booked', 'moved', 'cancelled')",
            name=op.f("ck_appointment_outbox_change_valid"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'delivered', 'failed')",
            name=op.f("ck_appointment_outbox_status_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointment.id"],
            name=op.f("fk_appointment_outbox_appointment_id_appointment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["dealer_id"],
            ["dealer.id"],
            name=op.f("fk_appointment_outbox_dealer_id_dealer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment_outbox")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_appointment_outbox_idempotency_key")),
    )
    with op.batch_alter_table("appointment_outbox", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_appointment_outbox_appointment_id"), ["appointment_id"], unique=False
        )
        batch_op.create_index(
            "ix_appointment_outbox_dealer_id_id", ["dealer_id", "id"], unique=False
        )
        batch_op.create_index(
            "ix_appointment_outbox_status_next_attempt_at",
            ["status", "next_attempt_at"],
            unique=False,
        )

    with op.batch_alter_table("odometer_reading", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rejection_reason", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("odometer_reading", schema=None) as batch_op:
        batch_op.drop_column("rejection_reason")

    with op.batch_alter_table("appointment_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_appointment_outbox_status_next_attempt_at")
        batch_op.drop_index("ix_appointment_outbox_dealer_id_id")
        batch_op.drop_index(batch_op.f("ix_appointment_outbox_appointment_id"))

    op.drop_table("appointment_outbox")
    op.drop_table("dms_webhook_event")
    op.drop_table("dms_watermark")
    op.drop_table("dms_record_version")
    op.drop_table("dms_integration")
