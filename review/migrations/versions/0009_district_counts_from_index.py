"""district school and designation counts come from the index data, not typed columns

Revision ID: 0009
Revises: 0007

`districts.school_count`, `priority_count`, `focus_count` and `reward_count` go: a district's
schools and its priority/focus/reward schools are counted from each cycle's imported index
results (`review.index.counts`), so they can no longer disagree with the index summary or go
stale after a re-import. `enrollment` stays: the index data does not carry it.

`ix_index_results_cycle_year_schools` covers the counting query, so a page that shows the
counts reads an index range instead of every result row of the cycle.
"""

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

COUNTS = ('school_count', 'priority_count', 'focus_count', 'reward_count')


def upgrade() -> None:
    with op.batch_alter_table('districts') as batch_op:
        for name in COUNTS:
            batch_op.drop_column(name)
    op.create_index(
        'ix_index_results_cycle_year_schools',
        'index_results',
        ['cycle_id', 'year', 'district_code', 'school_id', 'designation'],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index('ix_index_results_cycle_year_schools', table_name='index_results')
    # The older code needs a number in each column; the typed figures are gone, and the index
    # data counts per cycle, not per district, so 0 stands in until a coordinator types them.
    with op.batch_alter_table('districts') as batch_op:
        for name in COUNTS:
            batch_op.add_column(sa.Column(name, sa.Integer(), server_default='0', nullable=False))
