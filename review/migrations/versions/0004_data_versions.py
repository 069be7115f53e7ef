"""data versions: a random stamp per table, new with each committed write

Revision ID: 0004
Revises: 0003

See review.changes: a reader may keep what it read until a table it read from gets a new
stamp. A table never written since has no row.
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('data_versions',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('writes', sa.Integer(), nullable=False),
    sa.Column('stamp', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )


def downgrade() -> None:
    op.drop_table('data_versions')
