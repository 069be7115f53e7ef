"""a row version on each evidence file, so editing its description or replacing it is a
compare-and-set

Revision ID: 0012
Revises: 0011

Two editors changing one file at once: the UPDATE names the version each started from, and the
second is refused instead of silently undoing the first.
"""

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('evidence') as batch_op:
        batch_op.add_column(
            sa.Column('row_version', sa.Integer(), nullable=False, server_default='1')
        )


def downgrade() -> None:
    with op.batch_alter_table('evidence') as batch_op:
        batch_op.drop_column('row_version')
