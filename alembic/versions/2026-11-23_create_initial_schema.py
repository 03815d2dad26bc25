"""create initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-23 09:21:41.013936
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "dealer_group",
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "settings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            server_default="{}",
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dealer_group")),
        sa.UniqueConstraint("name", name=op.f("uq_dealer_group_name")),
    )
    op.create_table(
        "recall_campaign",
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_code", sa.String(length=32), nullable=False),
        sa.Column("make", sa.String(length=64), nullable=True),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("component", sa.String(length=200), nullable=True),
        sa.Column("remedy_available", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recall_campaign")),
        sa.UniqueConstraint("campaign_code", name=op.f("uq_recall_campaign_campaign_code")),
    )
    op.create_table(
        "service_plan",
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("make", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.Column("fuel", sa.String(length=16), nullable=False),
        sa.Column("first_service_days", sa.Integer(), nullable=False),
        sa.Column("first_service_km", sa.Integer(), nullable=True),
        sa.Column("interval_months", sa.Integer(), nullable=False),
        sa.Column("interval_km", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "first_service_days > 0", name=op.f("ck_service_plan_first_service_days_positive")
        ),
        sa.CheckConstraint("interval_km > 0", name=op.f("ck_service_plan_interval_km_positive")),
        sa.CheckConstraint(
            "interval_months > 0", name=op.f("ck_service_plan_interval_months_positive")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_plan")),
        sa.UniqueConstraint("make", "model", "fuel", name=op.f("uq_service_plan_make_model_fuel")),
    )
    op.create_table(
        "app_user",
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.CheckConstraint(
            "role IN ('agent', 'supervisor', 'manager', 'admin')",
            name=op.f("ck_app_user_role_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["dealer_group.id"], name=op.f("fk_app_user_group_id_dealer_group")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("email", name=op.f("uq_app_user_email")),
    )
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_app_user_group_id"), ["group_id"], unique=False)

    op.create_table(
        "dealer",
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("distance_unit", sa.String(length=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("workshop_capacity_per_day", sa.Integer(), nullable=False),
        sa.Column(
            "opening_hours",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "settings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            server_default="{}",
            nullable=False,
        ),
        sa.CheckConstraint(
            "distance_unit IN ('km', 'mi')", name=op.f("ck_dealer_distance_unit_valid")
        ),
        sa.CheckConstraint("length(country) = 2", name=op.f("ck_dealer_country_alpha2")),
        sa.CheckConstraint("length(currency) = 3", name=op.f("ck_dealer_currency_alpha3")),
        sa.CheckConstraint(
            "workshop_capacity_per_day >= 0", name=op.f("ck_dealer_capacity_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["dealer_group.id"], name=op.f("fk_dealer_group_id_dealer_group")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dealer")),
        sa.UniqueConstraint("code", name=op.f("uq_dealer_code")),
    )
    with op.batch_alter_table("dealer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dealer_group_id"), ["group_id"], unique=False)

    op.create_table(
        "disposition",
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("contact_made", sa.Boolean(), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("booked", sa.Boolean(), nullable=False),
        sa.Column("dnc", sa.Boolean(), nullable=False),
        sa.Column("bad_number", sa.Boolean(), nullable=False),
        sa.Column("callback", sa.Boolean(), nullable=False),
        sa.Column("ends_ownership", sa.Boolean(), nullable=False),
        sa.Column("counts_as_attempt", sa.Boolean(), nullable=False),
        sa.Column("retry_after_minutes", sa.Integer(), nullable=True),
        sa.Column("closes_as", sa.String(length=16), nullable=True),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.CheckConstraint(
            "closes_as IN ('booked', 'declined', 'unreachable', 'dnc', 'wrong_number', 'not_owner', 'done_elsewhere', 'deceased', 'expired')",
            name=op.f("ck_disposition_closes_as_valid"),
        ),
        sa.CheckConstraint(
            "retry_after_minutes IS NULL OR retry_after_minutes > 0",
            name=op.f("ck_disposition_retry_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["dealer_group.id"], name=op.f("fk_disposition_group_id_dealer_group")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disposition")),
        sa.UniqueConstraint("group_id", "code", name=op.f("uq_disposition_group_id_code")),
    )
    op.create_table(
        "recall_vehicle",
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'completed_here', 'completed_elsewhere', 'not_applicable')",
            name=op.f("ck_recall_vehicle_status_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["recall_campaign.id"],
            name=op.f("fk_recall_vehicle_campaign_id_recall_campaign"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recall_vehicle")),
        sa.UniqueConstraint("campaign_id", "vin", name=op.f("uq_recall_vehicle_campaign_id_vin")),
    )
    with op.batch_alter_table("recall_vehicle", schema=None) as batch_op:
        batch_op.create_index("ix_recall_vehicle_vin", ["vin"], unique=False)

    op.create_table(
        "customer",
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("dealer_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=True),
        sa.Column("last_name", sa.String(length=100), nullable=True),
        sa.Column("company_name", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("marketing_calls", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("do_not_call", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("tyre_hotel", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("value_segment", sa.String(length=16), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('active', 'deceased', 'erased')", name=op.f("ck_customer_status_valid")
        ),
        sa.CheckConstraint(
            "value_segment IN ('vip', 'high', 'standard', 'low')",
            name=op.f("ck_customer_value_segment_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["dealer_id"], ["dealer.id"], name=op.f("fk_customer_dealer_id_dealer")
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["dealer_group.id"], name=op.f("fk_customer_group_id_dealer_group")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer")),
        sa.UniqueConstraint("source", "external_id", name=op.f("uq_customer_source_external_id")),
    )
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_dealer_id"), ["dealer_id"], unique=False)
        batch_op.create_index(
            "ix_customer_group_id_last_name", ["group_id", "last_name"], unique=False
        )

    op.create_table(
        "vehicle",
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("dealer_id", sa.Integer(), nullable=False),
        sa.Column("make", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.Column("model_year", sa.Integer(), nullable=True),
        sa.Column("fuel", sa.String(length=16), nullable=False),
        sa.Column("registration", sa.String(length=20), nullable=True),
        sa.Column("delivery_date", sa.Date(), nullable=True),
        sa.Column("sold_by_dealer", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "delivery_odometer_km", sa.Integer(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.CheckConstraint(
            "fuel IN ('petrol', 'diesel', 'hybrid', 'plugin_hybrid', 'electric', 'lpg', 'cng', 'hydrogen', 'other')",
            name=op.f("ck_vehicle_fuel_valid"),
        ),
        sa.CheckConstraint(
            "status IN ('active', 'sold', 'scrapped', 'stolen', 'exported')",
            name=op.f("ck_vehicle_status_valid"),
        ),
        sa.CheckConstraint(
            "delivery_odometer_km >= 0", name=op.f("ck_vehicle_delivery_odometer_non_negative")
        ),
        sa.CheckConstraint("length(vin) = 17", name=op.f("ck_vehicle_vin_length")),
        sa.ForeignKeyConstraint(
            ["dealer_id"], ["dealer.id"], name=op.f("fk_vehicle_dealer_id_dealer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vehicle")),
        sa.UniqueConstraint("vin", name=op.f("uq_vehicle_vin")),
    )
    with op.batch_alter_table("vehicle", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vehicle_dealer_id"), ["dealer_id"], unique=False)
        batch_op.create_index("ix_vehicle_registration", ["registration"], unique=False)

    op.create_table(
        "call_task",
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dealer_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("primary_type", sa.String(length=24), nullable=False),
        sa.Column("purpose", sa.String(length=24), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_agent_id", sa.Integer(), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claim_token", sa.String(length=64), nullable=True),
        sa.Column("callback_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("callback_agent_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "outcome IN ('booked', 'declined', 'unreachable', 'dnc', 'wrong_number', 'not_owner', 'done_elsewhere', 'deceased', 'expired')",
            name=op.f("ck_call_task_outcome_valid"),
        ),
        sa.CheckConstraint(
            "primary_type IN ('first_service', 'next_service', 'warranty_expiry', 'lapsed', 'recall', 'seasonal', 'churn_risk', 'no_show')",
            name=op.f("ck_call_task_primary_type_valid"),
        ),
        sa.CheckConstraint(
            "purpose IN ('service_reminder', 'safety_recall')",
            name=op.f("ck_call_task_purpose_valid"),
        ),
        sa.CheckConstraint(
            "status IN ('ready', 'claimed', 'callback', 'closed')",
            name=op.f("ck_call_task_status_valid"),
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_call_task_attempts_non_negative")),
        sa.ForeignKeyConstraint(
            ["callback_agent_id"],
            ["app_user.id"],
            name=op.f("fk_call_task_callback_agent_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_call_task_customer_id_customer")
        ),
        sa.ForeignKeyConstraint(
            ["dealer_id"], ["dealer.id"], name=op.f("fk_call_task_dealer_id_dealer")
        ),
        sa.ForeignKeyConstraint(
            ["lease_agent_id"], ["app_user.id"], name=op.f("fk_call_task_lease_agent_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_task")),
    )
    with op.batch_alter_table("call_task", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_task_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index("ix_call_task_lease_expires_at", ["lease_expires_at"], unique=False)
        batch_op.create_index(
            "ix_call_task_queue",
            ["dealer_id", "status", "priority", "next_attempt_at"],
            unique=False,
        )
        batch_op.create_index(
            "uq_call_task_customer_id_open",
            ["customer_id"],
            unique=True,
            sqlite_where=sa.text("status != 'closed'"),
            postgresql_where=sa.text("status != 'closed'"),
        )

    op.create_table(
        "customer_phone",
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("is_primary", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("is_valid", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.CheckConstraint(
            "type IN ('mobile', 'landline', 'work', 'other')",
            name=op.f("ck_customer_phone_type_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_customer_phone_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_phone")),
        sa.UniqueConstraint(
            "customer_id", "number", name=op.f("uq_customer_phone_customer_id_number")
        ),
    )
    with op.batch_alter_table("customer_phone", schema=None) as batch_op:
        batch_op.create_index("ix_customer_phone_number", ["number"], unique=False)

    op.create_table(
        "odometer_reading",
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("reading_date", sa.Date(), nullable=False),
        sa.Column("value_km", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("accepted", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "odometer_replaced", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.CheckConstraint(
            "source IN ('repair_order', 'delivery', 'telematics', 'agent', 'dms')",
            name=op.f("ck_odometer_reading_source_valid"),
        ),
        sa.CheckConstraint("value_km >= 0", name=op.f("ck_odometer_reading_value_non_negative")),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["vehicle.id"],
            name=op.f("fk_odometer_reading_vehicle_id_vehicle"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_odometer_reading")),
        sa.UniqueConstraint(
            "vehicle_id",
            "reading_date",
            "source",
            name=op.f("uq_odometer_reading_vehicle_id_reading_date_source"),
        ),
    )
    op.create_table(
        "ownership",
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "end_date IS NULL OR end_date >= start_date", name=op.f("ck_ownership_dates_ordered")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_ownership_customer_id_customer")
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"], ["vehicle.id"], name=op.f("fk_ownership_vehicle_id_vehicle")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ownership")),
        sa.UniqueConstraint(
            "vehicle_id",
            "customer_id",
            "start_date",
            name=op.f("uq_ownership_vehicle_id_customer_id_start_date"),
        ),
    )
    with op.batch_alter_table("ownership", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ownership_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "warranty",
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("km_limit", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('basic', 'powertrain', 'extended')", name=op.f("ck_warranty_kind_valid")
        ),
        sa.CheckConstraint(
            "km_limit IS NULL OR km_limit > 0", name=op.f("ck_warranty_km_limit_positive")
        ),
        sa.CheckConstraint("months > 0", name=op.f("ck_warranty_months_positive")),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["vehicle.id"],
            name=op.f("fk_warranty_vehicle_id_vehicle"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warranty")),
        sa.UniqueConstraint("vehicle_id", "kind", name=op.f("uq_warranty_vehicle_id_kind")),
    )
    op.create_table(
        "appointment",
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=True),
        sa.Column("external_id", sa.String(length=64), nullable=True),
        sa.Column("dealer_id", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("slot_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column(
            "service_types",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            server_default="[]",
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("origin", sa.String(length=8), nullable=False),
        sa.Column("call_task_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("origin IN ('call', 'dms')", name=op.f("ck_appointment_origin_valid")),
        sa.CheckConstraint(
            "status IN ('booked', 'confirmed', 'arrived', 'no_show', 'cancelled')",
            name=op.f("ck_appointment_status_valid"),
        ),
        sa.CheckConstraint("duration_minutes > 0", name=op.f("ck_appointment_duration_positive")),
        sa.ForeignKeyConstraint(
            ["call_task_id"], ["call_task.id"], name=op.f("fk_appointment_call_task_id_call_task")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_appointment_customer_id_customer")
        ),
        sa.ForeignKeyConstraint(
            ["dealer_id"], ["dealer.id"], name=op.f("fk_appointment_dealer_id_dealer")
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"], ["vehicle.id"], name=op.f("fk_appointment_vehicle_id_vehicle")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment")),
        sa.UniqueConstraint(
            "source", "external_id", name=op.f("uq_appointment_source_external_id")
        ),
    )
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_appointment_call_task_id"), ["call_task_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_appointment_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            "ix_appointment_dealer_id_slot_start", ["dealer_id", "slot_start"], unique=False
        )
        batch_op.create_index(
            "ix_appointment_vehicle_id_slot_start", ["vehicle_id", "slot_start"], unique=False
        )

    op.create_table(
        "call_attempt",
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_task_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("phone_id", sa.Integer(), nullable=True),
        sa.Column("disposition_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("purpose", sa.String(length=24), nullable=False),
        sa.Column("legal_basis", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("callback_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "purpose IN ('service_reminder', 'safety_recall')",
            name=op.f("ck_call_attempt_purpose_valid"),
        ),
        sa.CheckConstraint(
            "ended_at IS NULL OR ended_at >= started_at", name=op.f("ck_call_attempt_times_ordered")
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["app_user.id"], name=op.f("fk_call_attempt_agent_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["call_task_id"], ["call_task.id"], name=op.f("fk_call_attempt_call_task_id_call_task")
        ),
        sa.ForeignKeyConstraint(
            ["disposition_id"],
            ["disposition.id"],
            name=op.f("fk_call_attempt_disposition_id_disposition"),
        ),
        sa.ForeignKeyConstraint(
            ["phone_id"],
            ["customer_phone.id"],
            name=op.f("fk_call_attempt_phone_id_customer_phone"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_attempt")),
    )
    with op.batch_alter_table("call_attempt", schema=None) as batch_op:
        batch_op.create_index(
            "ix_call_attempt_agent_id_started_at", ["agent_id", "started_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_call_attempt_call_task_id"), ["call_task_id"], unique=False
        )

    op.create_table(
        "invitation",
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedup_key", sa.String(length=200), nullable=False),
        sa.Column("dealer_id", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=24), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("opens_date", sa.Date(), nullable=False),
        sa.Column("expires_date", sa.Date(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("suppression_reason", sa.String(length=48), nullable=True),
        sa.Column("is_control", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("explanation_template", sa.Text(), nullable=True),
        sa.Column(
            "explanation_params",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("confidence", sa.String(length=8), nullable=True),
        sa.Column("computed_on", sa.Date(), nullable=False),
        sa.Column("call_task_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('due', 'suppressed', 'control', 'queued', 'closed', 'expired')",
            name=op.f("ck_invitation_status_valid"),
        ),
        sa.CheckConstraint(
            "type IN ('first_service', 'next_service', 'warranty_expiry', 'lapsed', 'recall', 'seasonal', 'churn_risk', 'no_show')",
            name=op.f("ck_invitation_type_valid"),
        ),
        sa.CheckConstraint("expires_date >= opens_date", name=op.f("ck_invitation_window_ordered")),
        sa.ForeignKeyConstraint(
            ["call_task_id"], ["call_task.id"], name=op.f("fk_invitation_call_task_id_call_task")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_invitation_customer_id_customer")
        ),
        sa.ForeignKeyConstraint(
            ["dealer_id"], ["dealer.id"], name=op.f("fk_invitation_dealer_id_dealer")
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"], ["vehicle.id"], name=op.f("fk_invitation_vehicle_id_vehicle")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_invitation_dedup_key")),
    )
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invitation_call_task_id"), ["call_task_id"], unique=False
        )
        batch_op.create_index(
            "ix_invitation_customer_id_status", ["customer_id", "status"], unique=False
        )
        batch_op.create_index(
            "ix_invitation_dealer_id_due_date", ["dealer_id", "due_date"], unique=False
        )
        batch_op.create_index(
            "ix_invitation_status_expires_date", ["status", "expires_date"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_invitation_vehicle_id"), ["vehicle_id"], unique=False)

    op.create_table(
        "repair_order",
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("dealer_id", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("opened_date", sa.Date(), nullable=False),
        sa.Column("closed_date", sa.Date(), nullable=True),
        sa.Column("odometer_in_km", sa.Integer(), nullable=True),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "closed_date IS NULL OR closed_date >= opened_date",
            name=op.f("ck_repair_order_dates_ordered"),
        ),
        sa.CheckConstraint(
            "odometer_in_km IS NULL OR odometer_in_km >= 0",
            name=op.f("ck_repair_order_odometer_non_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointment.id"],
            name=op.f("fk_repair_order_appointment_id_appointment"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_repair_order_customer_id_customer")
        ),
        sa.ForeignKeyConstraint(
            ["dealer_id"], ["dealer.id"], name=op.f("fk_repair_order_dealer_id_dealer")
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"], ["vehicle.id"], name=op.f("fk_repair_order_vehicle_id_vehicle")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repair_order")),
        sa.UniqueConstraint(
            "source", "external_id", name=op.f("uq_repair_order_source_external_id")
        ),
    )
    with op.batch_alter_table("repair_order", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_repair_order_appointment_id"), ["appointment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_repair_order_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            "ix_repair_order_dealer_id_opened_date", ["dealer_id", "opened_date"], unique=False
        )
        batch_op.create_index(
            "ix_repair_order_vehicle_id_opened_date", ["vehicle_id", "opened_date"], unique=False
        )

    op.create_table(
        "repair_order_line",
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("repair_order_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("op_code", sa.String(length=32), nullable=True),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("pay_type", sa.String(length=16), nullable=False),
        sa.Column("service_kind", sa.String(length=16), nullable=False),
        sa.Column("labor_amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("parts_amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("campaign_code", sa.String(length=32), nullable=True),
        sa.CheckConstraint(
            "pay_type IN ('customer_pay', 'warranty', 'internal')",
            name=op.f("ck_repair_order_line_pay_type_valid"),
        ),
        sa.CheckConstraint(
            "service_kind IN ('maintenance', 'repair', 'recall', 'tyres', 'inspection', 'other')",
            name=op.f("ck_repair_order_line_service_kind_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["repair_order_id"],
            ["repair_order.id"],
            name=op.f("fk_repair_order_line_repair_order_id_repair_order"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repair_order_line")),
        sa.UniqueConstraint(
            "repair_order_id", "line_no", name=op.f("uq_repair_order_line_repair_order_id_line_no")
        ),
    )


def downgrade() -> None:

    op.drop_table("repair_order_line")
    with op.batch_alter_table("repair_order", schema=None) as batch_op:
        batch_op.drop_index("ix_repair_order_vehicle_id_opened_date")
        batch_op.drop_index("ix_repair_order_dealer_id_opened_date")
        batch_op.drop_index(batch_op.f("ix_repair_order_customer_id"))
        batch_op.drop_index(batch_op.f("ix_repair_order_appointment_id"))

    op.drop_table("repair_order")
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invitation_vehicle_id"))
        batch_op.drop_index("ix_invitation_status_expires_date")
        batch_op.drop_index("ix_invitation_dealer_id_due_date")
        batch_op.drop_index("ix_invitation_customer_id_status")
        batch_op.drop_index(batch_op.f("ix_invitation_call_task_id"))

    op.drop_table("invitation")
    with op.batch_alter_table("call_attempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_attempt_call_task_id"))
        batch_op.drop_index("ix_call_attempt_agent_id_started_at")

    op.drop_table("call_attempt")
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.drop_index("ix_appointment_vehicle_id_slot_start")
        batch_op.drop_index("ix_appointment_dealer_id_slot_start")
        batch_op.drop_index(batch_op.f("ix_appointment_customer_id"))
        batch_op.drop_index(batch_op.f("ix_appointment_call_task_id"))

    op.drop_table("appointment")
    op.drop_table("warranty")
    with op.batch_alter_table("ownership", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ownership_customer_id"))

    op.drop_table("ownership")
    op.drop_table("odometer_reading")
    with op.batch_alter_table("customer_phone", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_phone_number")

    op.drop_table("customer_phone")
    with op.batch_alter_table("call_task", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_call_task_customer_id_open",
            sqlite_where=sa.text("status != 'closed'"),
            postgresql_where=sa.text("status != 'closed'"),
        )
        batch_op.drop_index("ix_call_task_queue")
        batch_op.drop_index("ix_call_task_lease_expires_at")
        batch_op.drop_index(batch_op.f("ix_call_task_customer_id"))

    op.drop_table("call_task")
    with op.batch_alter_table("vehicle", schema=None) as batch_op:
        batch_op.drop_index("ix_vehicle_registration")
        batch_op.drop_index(batch_op.f("ix_vehicle_dealer_id"))

    op.drop_table("vehicle")
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_group_id_last_name")
        batch_op.drop_index(batch_op.f("ix_customer_dealer_id"))

    op.drop_table("customer")
    with op.batch_alter_table("recall_vehicle", schema=None) as batch_op:
        batch_op.drop_index("ix_recall_vehicle_vin")

    op.drop_table("recall_vehicle")
    op.drop_table("disposition")
    with op.batch_alter_table("dealer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dealer_group_id"))

    op.drop_table("dealer")
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_app_user_group_id"))

    op.drop_table("app_user")
    op.drop_table("service_plan")
    op.drop_table("recall_campaign")
    op.drop_table("dealer_group")
