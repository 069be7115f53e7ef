"""decisions and consensus: decision ratings as rows, consensus proposals and confirmations

Revision ID: 0007
Revises: 0004

`decision_ratings` replaces the JSON list `decisions.rating_ids` (each list is copied into
rows, then the column is dropped), so the database enforces that a decision points at real
ratings. `consensus_proposals` holds the level one reviewing district proposes for an item;
`consensus_confirmations` the reviewing districts that confirmed it, one row per district.
`decisions.method` and the proposal status are limited to their known values.
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

_DECISIONS = sa.table(
    'decisions', sa.column('id', sa.Integer()), sa.column('rating_ids', sa.JSON())
)
_DECISION_RATINGS = sa.table(
    'decision_ratings', sa.column('decision_id', sa.Integer()), sa.column('rating_id', sa.Integer())
)


def upgrade() -> None:
    bind = op.get_bind()
    # Read the lists before the table is rebuilt: on SQLite, batch mode drops and recreates
    # `decisions`, and with foreign keys on that drop would cascade into `decision_ratings`.
    rows = [
        {'decision_id': decision_id, 'rating_id': rating_id}
        for decision_id, rating_ids in bind.execute(sa.select(_DECISIONS.c.id, _DECISIONS.c.rating_ids))
        for rating_id in sorted(set(rating_ids or []))
    ]
    with op.batch_alter_table('decisions') as batch:
        batch.drop_column('rating_ids')
        batch.create_check_constraint(
            'ck_decisions_method', "method IN ('agreement', 'choice', 'consensus', 'adjudication')"
        )
    op.create_table('decision_ratings',
    sa.Column('decision_id', sa.Integer(), nullable=False),
    sa.Column('rating_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['decision_id'], ['decisions.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rating_id'], ['ratings.id'], ),
    sa.PrimaryKeyConstraint('decision_id', 'rating_id')
    )
    op.create_index(op.f('ix_decision_ratings_rating_id'), 'decision_ratings', ['rating_id'], unique=False)
    if rows:
        op.bulk_insert(_DECISION_RATINGS, rows)
    op.create_table('consensus_proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.String(length=64), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('level', sa.Integer(), nullable=True),
    sa.Column('not_applicable', sa.Boolean(), nullable=False),
    sa.Column('rationale', sa.Text(), nullable=False),
    sa.Column('proposed_by', sa.Integer(), nullable=False),
    sa.Column('proposer_district_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('row_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("method IN ('choice', 'consensus')", name='ck_consensus_proposals_method'),
    sa.CheckConstraint(
        "status IN ('proposed', 'confirmed', 'sent_to_coordinator')",
        name='ck_consensus_proposals_status',
    ),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], ),
    sa.ForeignKeyConstraint(['proposed_by'], ['users.id'], ),
    sa.ForeignKeyConstraint(['proposer_district_id'], ['districts.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('cycle_id', 'district_id', 'item_id')
    )
    op.create_table('consensus_confirmations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], ),
    sa.ForeignKeyConstraint(['proposal_id'], ['consensus_proposals.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('proposal_id', 'district_id')
    )


def downgrade() -> None:
    bind = op.get_bind()
    found: dict[int, list[int]] = {}
    for decision_id, rating_id in bind.execute(
        sa.select(_DECISION_RATINGS.c.decision_id, _DECISION_RATINGS.c.rating_id)
    ):
        found.setdefault(decision_id, []).append(rating_id)
    op.drop_table('consensus_confirmations')
    op.drop_table('consensus_proposals')
    op.drop_index(op.f('ix_decision_ratings_rating_id'), table_name='decision_ratings')
    op.drop_table('decision_ratings')
    with op.batch_alter_table('decisions') as batch:
        batch.drop_constraint('ck_decisions_method', type_='check')
        batch.add_column(sa.Column('rating_ids', sa.JSON(), nullable=False, server_default='[]'))
    for decision_id, rating_ids in found.items():
        bind.execute(
            _DECISIONS.update()
            .where(_DECISIONS.c.id == decision_id)
            .values(rating_ids=sorted(rating_ids))
        )
