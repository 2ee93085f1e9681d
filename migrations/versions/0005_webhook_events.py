"""webhook events

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 19:25:17.799237
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import cfsync.store.types

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('webhook_events',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False, comment='order of arrival'),
    sa.Column('event_id', sa.Text(), nullable=False, comment="the delivery's event_id (uuid)"),
    sa.Column('event_type', sa.Text(), nullable=False, comment='contact.updated, order.deleted, ...'),
    sa.Column('action', sa.Text(), nullable=False, comment='the event type after its last dot: updated, ...'),
    sa.Column('resource', sa.Text(), nullable=True, comment='the table the subject lives in; NULL for unknown types'),
    sa.Column('record_id', sa.BigInteger(), nullable=True, comment="the subject's id (data.id, else subject_id)"),
    sa.Column('workspace_id', sa.BigInteger(), nullable=False),
    sa.Column('subject_type', sa.Text(), nullable=True),
    sa.Column('subject_id', sa.BigInteger(), nullable=True),
    sa.Column('endpoint_id', sa.BigInteger(), nullable=True, comment='the endpoint whose secret verified it, when known'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when ClickFunnels created the event'),
    sa.Column('received_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when the receiver committed it'),
    sa.Column('payload', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment="the delivery's JSON body"),
    sa.Column('status', sa.Text(), server_default='pending', nullable=False, comment='pending, applied, stale (older than the stored row), ignored, failed'),
    sa.Column('reason', sa.Text(), nullable=True, comment='why stale, ignored or failed'),
    sa.Column('applied_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when the applier decided its status'),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_webhook_events')),
    sa.UniqueConstraint('event_id', name=op.f('uq_webhook_events_event_id')),
    comment='every webhook delivery accepted, once per event_id; committed before the receiver answers'
    )
    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_events_resource_record_id'), ['resource', 'record_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_events_status_seq'), ['status', 'seq'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_events_status_seq'))
        batch_op.drop_index(batch_op.f('ix_webhook_events_resource_record_id'))

    op.drop_table('webhook_events')
