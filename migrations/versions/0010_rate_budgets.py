"""the request budget that workers on one key share

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 12:45:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # UNLOGGED on PostgreSQL: a few hot rows updated many times a second, worth nothing after a crash.
    postgres = op.get_bind().dialect.name == 'postgresql'
    op.create_table('_rate_budgets',
    sa.Column('key', sa.Text(), nullable=False, comment='a hash of the API host and key (never the key)'),
    sa.Column('next_slot', sa.Float(), nullable=False, comment="the key's next free slot (database clock)"),
    sa.Column('pace', sa.Float(), nullable=False, comment="requests per second the key's workers send at"),
    sa.Column('limit_found', sa.Float(), nullable=True, comment='a limit its learner found lately, req/s'),
    sa.Column('noise', sa.Float(), nullable=False, comment='the share of 429s slowing down did not cure'),
    sa.Column('held_until', sa.Float(), nullable=False, comment='every request held back until then'),
    sa.Column('learner', sa.Text(), nullable=True, comment='the worker that learns the pace (a random id)'),
    sa.Column('learner_until', sa.Float(), nullable=False, comment='its lease ends then, unless renewed'),
    sa.Column('ok_total', sa.BigInteger(), nullable=False, comment='successes the workers reported'),
    sa.Column('throttled_total', sa.BigInteger(), nullable=False, comment='429s the workers reported'),
    sa.Column('updated_at', sa.Float(), nullable=False, comment='the last reservation (database clock, s)'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk__rate_budgets')),
    comment='PostgreSQL: the request budget that the workers on one API key share (UNLOGGED; unused on SQLite)',
    prefixes=['UNLOGGED'] if postgres else [],
    )


def downgrade() -> None:
    op.drop_table('_rate_budgets')
