"""a credential stamp on each account, so a password change or a disable ends open sessions

Revision ID: 0010
Revises: 0009

`users.session_epoch` moves whenever the account's password changes. Each browser remembers
the value it signed in under and is signed out at its next run once they differ, even an open
tab that never sends its cookie again.
"""

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(
            sa.Column('session_epoch', sa.Integer(), nullable=False, server_default='0')
        )


def downgrade() -> None:
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('session_epoch')
