"""frozen packets: a final district's packet is built once and kept with its SHA-256

Revision ID: 0011
Revises: 0010

What a board received can be proven later: every download of a final district's packet
returns the bytes built after its finalization; reopening and finalizing again makes a new
version and keeps the old one.
"""

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'frozen_packets',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('cycle_id', sa.Integer(), sa.ForeignKey('cycles.id'), nullable=False),
        sa.Column('district_id', sa.Integer(), sa.ForeignKey('districts.id'), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('file_name', sa.String(200), nullable=False),
        sa.Column('sha256', sa.String(64), sa.ForeignKey('blobs.sha256'), nullable=False),
        sa.Column('made_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('made_by', sa.Integer(), sa.ForeignKey('users.id'), nullable=True),
        sa.UniqueConstraint('cycle_id', 'district_id', 'version'),
    )
    op.create_index('ix_frozen_packets_cycle_id', 'frozen_packets', ['cycle_id'])
    op.create_index('ix_frozen_packets_district_id', 'frozen_packets', ['district_id'])
    op.create_index('ix_frozen_packets_sha256', 'frozen_packets', ['sha256'])


def downgrade() -> None:
    op.drop_table('frozen_packets')
