"""change count: one row versioning the committed data, the key for caching reads

Revision ID: 0004
Revises: 0003

See review.changes: every transaction that writes adds one and sets a new random stamp, so a
reader may keep what it read until the version moves.
"""

import secrets

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table('change_count',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('stamp', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.bulk_insert(table, [{'id': 1, 'n': 0, 'stamp': secrets.token_hex(16)}])


def downgrade() -> None:
    op.drop_table('change_count')
