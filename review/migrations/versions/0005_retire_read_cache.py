"""retire the per-table read cache; count index imports per cycle

Revision ID: 0005
Revises: 0004

Pages now read afresh on every rerun, so the per-table stamps of 0004 go. What stays cached
is keyed explicitly: a cycle's computed index results by `cycles.index_imports`, which every
index import increments in its own transaction.
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table('data_versions')
    with op.batch_alter_table('cycles') as batch_op:
        batch_op.add_column(
            sa.Column('index_imports', sa.Integer(), server_default='0', nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table('cycles') as batch_op:
        batch_op.drop_column('index_imports')
    op.create_table('data_versions',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('writes', sa.Integer(), nullable=False),
    sa.Column('stamp', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
