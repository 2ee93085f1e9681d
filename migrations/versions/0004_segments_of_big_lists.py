"""segments of big lists

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 18:57:58.567947
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import cfsync.store.types

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('sync_segments',
    sa.Column('account', sa.Text(), nullable=False),
    sa.Column('resource', sa.Text(), nullable=False),
    sa.Column('workspace_id', sa.BigInteger(), nullable=False),
    sa.Column('parent_id', sa.BigInteger(), nullable=False),
    sa.Column('after_id', sa.BigInteger(), nullable=False, comment='the segment walks ids after this one'),
    sa.Column('through_id', sa.BigInteger(), nullable=True, comment='through this id; NULL: to the end of the list'),
    sa.Column('cursor', sa.BigInteger(), nullable=False, comment='`after` of its next page'),
    sa.Column('done', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.PrimaryKeyConstraint('account', 'resource', 'workspace_id', 'parent_id', 'after_id', name=op.f('pk_sync_segments')),
    comment='a big list walked by several cursors at once; gone when the walk completes'
    )



def downgrade() -> None:

    op.drop_table('sync_segments')

