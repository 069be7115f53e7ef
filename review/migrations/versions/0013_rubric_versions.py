"""rubric versions published from workbooks, stored in the database with their hash

Revision ID: 0013
Revises: 0012

A coordinator can author a rubric version in Excel and publish it from the app or the command
line. It is kept here, not as a file, so every app process and every backup has it; the files
under `rubrics/` stay the shipped versions. Rows are never updated.
"""

from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rubric_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rubric_id', sa.String(length=64), nullable=False),
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('based_on', sa.String(length=130), nullable=True),
    sa.Column('published_by', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['published_by'], ['users.id']),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('rubric_id', 'version')
    )


def downgrade() -> None:
    op.drop_table('rubric_versions')
