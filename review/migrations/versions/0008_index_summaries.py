"""index summaries computed at import: one row per district, keyed by the cycle's import count

Revision ID: 0008
Revises: 0007

An index import now stores each network district's summary in its own transaction, so a page
reads one row instead of loading and computing the whole network's results. Results imported
before this revision have no stored summaries; they are computed on demand until the next
import.
"""

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('index_summaries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('district_code', sa.String(length=32), nullable=False),
    sa.Column('index_imports', sa.Integer(), nullable=False),
    sa.Column('index_spec', sa.String(length=128), nullable=False),
    sa.Column('summary_format', sa.Integer(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('cycle_id', 'district_code')
    )


def downgrade() -> None:
    op.drop_table('index_summaries')
