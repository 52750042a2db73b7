"""Baseline: the schema `create_all` made before migrations existed.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "push_devices",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("endpoint", sa.String(2048), nullable=False),
        sa.Column("endpoint_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("p256dh", sa.String(128), nullable=False),
        sa.Column("auth", sa.String(64), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("paused_until", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "push_schedules",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("device_id", sa.Integer(), sa.ForeignKey("push_devices.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("interval_minutes", sa.Integer(), nullable=False),
        sa.Column("windows", sa.String(200), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.BigInteger(), nullable=True),
        sa.Column("send_at", sa.BigInteger(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("snoozed_until", sa.BigInteger(), nullable=True),
        sa.Column("not_before", sa.BigInteger(), nullable=True),
        sa.Column("claim_token", sa.String(32), nullable=True),
        sa.Column("claimed_until", sa.BigInteger(), nullable=True),
        sa.UniqueConstraint("device_id", "type"),
    )
    op.create_index("ix_push_schedules_send_at", "push_schedules", ["send_at"])
    op.create_index("ix_push_schedules_device_id", "push_schedules", ["device_id"])


def downgrade() -> None:
    op.drop_table("push_schedules")
    op.drop_table("push_devices")
