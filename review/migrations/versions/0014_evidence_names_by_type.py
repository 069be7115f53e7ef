"""stored evidence names end in an extension of their content's type, for files stored before

Revision ID: 0014
Revises: 0013

Since issue #13 an upload is stored under a name ending in an extension of the type found in
its content (`review.evidence.stored_name`): text sent as `minutes.bat` is kept as
`minutes.txt`. Files stored before keep names like `minutes.bat` or `agenda.pdf.exe`, which a
download would open as a program. Each stored file's type is found again from its bytes by the
upload's own function (`review.evidence.sniff`) and its name renamed by the same rule, so there
is one rule in one place. Every rename is an audit event (`rename evidence by type`, by no
user, the old and new name) and is logged; a file whose content is of no allowed type keeps its
name and is logged too. The downgrade puts back the names those audit events recorded.
"""

import logging
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa

from review.errors import InvalidInput
from review.evidence import sniff, stored_name


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

ACTION = 'rename evidence by type'
log = logging.getLogger('alembic.runtime.migration')

evidence = sa.table(
    'evidence',
    sa.column('id', sa.Integer),
    sa.column('sha256', sa.String),
    sa.column('file_name', sa.String),
    sa.column('row_version', sa.Integer),
)
blobs = sa.table('blobs', sa.column('sha256', sa.String), sa.column('data', sa.LargeBinary))
audit_events = sa.table(
    'audit_events',
    sa.column('id', sa.Integer),
    sa.column('at', sa.DateTime(timezone=True)),
    sa.column('user_id', sa.Integer),
    sa.column('action', sa.String),
    sa.column('entity', sa.String),
    sa.column('entity_id', sa.String),
    sa.column('before', sa.JSON),
    sa.column('after', sa.JSON),
)


def upgrade() -> None:
    bind = op.get_bind()
    # Names first, then one blob at a time: the files together may not fit in memory.
    rows = bind.execute(
        sa.select(evidence.c.id, evidence.c.file_name, evidence.c.sha256).order_by(evidence.c.id)
    ).all()
    now = datetime.now(UTC)
    for evidence_id, name, sha256 in rows:
        data = bind.scalar(sa.select(blobs.c.data).where(blobs.c.sha256 == sha256))
        try:
            renamed = stored_name(name, sniff(bytes(data or b''), name))
        except InvalidInput as refused:
            log.warning('evidence %s keeps its name %r: %s', evidence_id, name, refused)
            continue
        except Exception as damaged:  # stored before uploads were checked: may be any bytes
            log.warning('evidence %s keeps its name %r: its content cannot be read (%r)',
                        evidence_id, name, damaged)
            continue
        if renamed == name:
            continue
        bind.execute(
            evidence.update()
            .where(evidence.c.id == evidence_id)
            .values(file_name=renamed, row_version=evidence.c.row_version + 1)
        )
        bind.execute(
            audit_events.insert().values(
                at=now,
                user_id=None,
                action=ACTION,
                entity='evidence',
                entity_id=str(evidence_id),
                before={'file_name': name},
                after={'file_name': renamed},
            )
        )
        log.info('evidence %s renamed %r -> %r (the type of its content)', evidence_id, name, renamed)


def downgrade() -> None:
    bind = op.get_bind()
    events = bind.execute(
        sa.select(audit_events.c.id, audit_events.c.entity_id, audit_events.c.before)
        .where(audit_events.c.action == ACTION)
        .order_by(audit_events.c.id.desc())
    ).all()
    for event_id, evidence_id, before in events:
        bind.execute(
            evidence.update()
            .where(evidence.c.id == int(evidence_id))
            .values(file_name=before['file_name'], row_version=evidence.c.row_version + 1)
        )
        bind.execute(audit_events.delete().where(audit_events.c.id == event_id))
