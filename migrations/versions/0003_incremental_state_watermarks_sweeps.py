"""incremental state: watermarks, sweeps

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 18:21:10.014117
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import cfsync.store.types

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('sync_sweep_misses',
    sa.Column('account', sa.Text(), nullable=False),
    sa.Column('resource', sa.Text(), nullable=False),
    sa.Column('workspace_id', sa.BigInteger(), nullable=False),
    sa.Column('parent_id', sa.BigInteger(), nullable=False),
    sa.Column('record_id', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('account', 'resource', 'workspace_id', 'parent_id', 'record_id', name=op.f('pk_sync_sweep_misses')),
    comment='rows a full sweep under way did not see; marked deleted only when the sweep completes'
    )
    with op.batch_alter_table('sync_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('watermark', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='every update before this time is stored'))
        batch_op.add_column(sa.Column('sweep_started_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='a full sweep (delete detection) is under way'))
        batch_op.add_column(sa.Column('last_full_sweep_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when the last full sweep completed'))
        batch_op.add_column(sa.Column('deleted', sa.BigInteger(), server_default='0', nullable=False, comment='rows found gone'))




def downgrade() -> None:

    with op.batch_alter_table('sync_state', schema=None) as batch_op:
        batch_op.drop_column('deleted')
        batch_op.drop_column('last_full_sweep_at')
        batch_op.drop_column('sweep_started_at')
        batch_op.drop_column('watermark')

    op.drop_table('sync_sweep_misses')

