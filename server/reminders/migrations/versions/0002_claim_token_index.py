"""Index the claim token: each message's result is now recorded on its own, and lease
renewal updates the rows of one claim, so both look rows up by claim token.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_push_schedules_claim_token", "push_schedules", ["claim_token"])


def downgrade() -> None:
    op.drop_index("ix_push_schedules_claim_token", "push_schedules")
