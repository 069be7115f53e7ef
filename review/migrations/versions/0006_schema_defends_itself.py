"""a schema that defends itself: allowed values, roles as rows, cycle versions, indexes

Revision ID: 0006
Revises: 0005

Every enumerated column gets a CHECK of its allowed values (review.db holds the lists), a rating
is a level or "not applicable" (never both), a user's roles move from a JSON list to the
`user_roles` table, cycles carry a row version for compare-and-set edits, and every foreign key
that a query filters on gets an index.

Rows already stored that the new constraints would refuse are listed first, and the migration
stops before changing anything, so an operator can mend them and run it again.
"""

from alembic import op
import sqlalchemy as sa

from review.errors import ReviewError


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

# The allowed values as of this revision (review.db holds today's; a change is a new revision).
SOURCES = ('self', 'peer')
RATING_STATUSES = ('draft', 'submitted', 'withdrawn')
PHASES = ('draft', 'self_submitted', 'peer_review', 'reconciliation', 'final')
ASSIGNMENT_KINDS = ('triad', 'calibration')
COMMENT_KINDS = ('question', 'answer', 'discussion')
ROLES = ('district_editor', 'peer_reviewer', 'coordinator', 'observer')
LEVEL_OR_NOT_APPLICABLE = sa.or_(
    sa.column('level').is_(None), sa.column('not_applicable') == sa.false()
)

CHECKS = [  # table, constraint name, condition
    ('ratings', 'source_allowed', sa.column('source').in_(SOURCES)),
    ('ratings', 'status_allowed', sa.column('status').in_(RATING_STATUSES)),
    ('ratings', 'level_or_not_applicable', LEVEL_OR_NOT_APPLICABLE),
    ('participations', 'phase_allowed', sa.column('phase').in_(PHASES)),
    ('assignments', 'kind_allowed', sa.column('kind').in_(ASSIGNMENT_KINDS)),
    ('comments', 'kind_allowed', sa.column('kind').in_(COMMENT_KINDS)),
]
INDEXES = [  # name, table, columns
    ('ix_participations_district_id', 'participations', ['district_id']),
    ('ix_participations_triad_id', 'participations', ['triad_id']),
    ('ix_assignments_reviewed_district_id', 'assignments', ['reviewed_district_id']),
    ('ix_assignments_cycle_reviewed', 'assignments', ['cycle_id', 'reviewed_district_id']),
    ('ix_users_district_id', 'users', ['district_id']),
    ('ix_sign_in_sessions_user_id', 'sign_in_sessions', ['user_id']),
    ('ix_ratings_district_id', 'ratings', ['district_id']),
    ('ix_ratings_rater_district_id', 'ratings', ['rater_district_id']),
    ('ix_evidence_district_id', 'evidence', ['district_id']),
    ('ix_evidence_sha256', 'evidence', ['sha256']),
    ('ix_evidence_links_evidence_id', 'evidence_links', ['evidence_id']),
    ('ix_comments_district_id', 'comments', ['district_id']),
    ('ix_comments_parent_id', 'comments', ['parent_id']),
    ('ix_comments_author_id', 'comments', ['author_id']),
    ('ix_comments_cycle_district_item', 'comments', ['cycle_id', 'district_id', 'item_id']),
    ('ix_audit_events_user_id', 'audit_events', ['user_id']),
    ('ix_audit_events_entity', 'audit_events', ['entity', 'entity_id']),
    ('ix_index_results_cycle_district', 'index_results', ['cycle_id', 'district_code']),
    ('ix_calibration_reviews_cycle_id', 'calibration_reviews', ['cycle_id']),
]


class RefusedRows(ReviewError):
    """Stored rows that the new constraints would refuse; nothing was changed."""


def upgrade() -> None:
    bind = op.get_bind()
    users = sa.table('users', sa.column('id'), sa.column('roles', sa.JSON))
    refused = _refused_rows(bind, users)
    if refused:
        raise RefusedRows(
            f"migration {revision} changed nothing: {len(refused)} stored row(s) break the new "
            "rules; mend them and migrate again:\n" + "\n".join(refused[:50])
        )

    roles = [(row.id, role) for row in bind.execute(sa.select(users)) for role in row.roles or []]
    op.create_table('user_roles',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.CheckConstraint(sa.column('role').in_(ROLES), name='role_allowed'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'role')
    )
    if roles:
        op.bulk_insert(
            sa.table('user_roles', sa.column('user_id'), sa.column('role')),
            [{'user_id': user_id, 'role': role} for user_id, role in sorted(set(roles))],
        )
    with op.batch_alter_table('users') as batch:
        batch.drop_column('roles')
    with op.batch_alter_table('cycles') as batch:
        batch.add_column(sa.Column('row_version', sa.Integer(), server_default='1', nullable=False))
    for table, name, condition in CHECKS:
        with op.batch_alter_table(table) as batch:
            batch.create_check_constraint(name, condition)
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def _refused_rows(bind: sa.engine.Connection, users: sa.TableClause) -> list[str]:
    """One line per stored row that a new CHECK would refuse, naming table, id and value."""
    lines = []
    for table, name, condition in CHECKS:
        columns = [c.name for c in condition.get_children() if isinstance(c, sa.ColumnClause)]
        shown = columns or ['level', 'not_applicable']
        query = sa.select(sa.column('id'), *[sa.column(c) for c in shown]).select_from(
            sa.table(table)
        ).where(sa.not_(condition)).order_by(sa.column('id'))
        for row in bind.execute(query):
            values = ', '.join(f'{c}={v!r}' for c, v in zip(shown, row[1:], strict=True))
            lines.append(f'{table} id {row[0]}: {values} ({name})')
    for row in bind.execute(sa.select(users).order_by(users.c.id)):
        unknown = sorted(set(row.roles or []) - set(ROLES))
        if unknown:
            lines.append(f'users id {row.id}: roles {unknown} are not among {list(ROLES)}')
    return lines


def downgrade() -> None:
    bind = op.get_bind()
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    for table, name, _ in reversed(CHECKS):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(name, type_='check')
    with op.batch_alter_table('cycles') as batch:
        batch.drop_column('row_version')
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('roles', sa.JSON(), nullable=True))
    user_roles = sa.table('user_roles', sa.column('user_id'), sa.column('role'))
    held: dict[int, list[str]] = {}
    for user_id, role in bind.execute(sa.select(user_roles).order_by('user_id', 'role')):
        held.setdefault(user_id, []).append(role)
    users = sa.table('users', sa.column('id'), sa.column('roles', sa.JSON))
    for user_id, roles in held.items():
        bind.execute(users.update().where(users.c.id == user_id).values(roles=roles))
    bind.execute(users.update().where(users.c.roles.is_(None)).values(roles=[]))
    op.drop_table('user_roles')
