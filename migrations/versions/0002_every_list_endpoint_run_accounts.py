"""every list endpoint, run accounts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 18:14:54.721984
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import cfsync.store.types

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('contacts_applied_tags',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('contact_id', sa.BigInteger(), nullable=True, comment='contact_id (integer)'),
    sa.Column('tag_id', sa.BigInteger(), nullable=True, comment='tag_id (integer)'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null(date-time))'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null(date-time))'),
    sa.Column('tag', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='tag (object)'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='added by cfsync from the list it came from'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contacts_applied_tags')),
    comment='GET /contacts/{contact_id}/applied_tags'
    )
    with op.batch_alter_table('contacts_applied_tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contacts_applied_tags_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contacts_applied_tags_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('contacts_tags',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='workspace_id (integer)'),
    sa.Column('name', sa.Text(), nullable=True, comment='name (string)'),
    sa.Column('color', sa.Text(), nullable=True, comment='color (string)'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null(date-time))'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null(date-time))'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contacts_tags')),
    comment='GET /workspaces/{workspace_id}/contacts/tags'
    )
    with op.batch_alter_table('contacts_tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contacts_tags_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('courses_lesson_completions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('enrollment_id', sa.BigInteger(), nullable=True, comment='enrollment_id (integer)'),
    sa.Column('lesson_id', sa.BigInteger(), nullable=True, comment='lesson_id (integer)'),
    sa.Column('completed_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='completed_at (string(date-time))'),
    sa.Column('course_id', sa.BigInteger(), nullable=True, comment='added by cfsync from the list it came from'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='added by cfsync from the list it came from'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courses_lesson_completions')),
    comment='GET /courses/{course_id}/lesson_completions'
    )
    with op.batch_alter_table('courses_lesson_completions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_courses_lesson_completions_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_courses_lesson_completions_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('courses_lessons',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('title', sa.Text(), nullable=True, comment='title (string)'),
    sa.Column('body', sa.Text(), nullable=True, comment='body (string|null)'),
    sa.Column('section_id', sa.BigInteger(), nullable=True, comment='section_id (integer|null)'),
    sa.Column('published_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='published_at (string|null(date-time))'),
    sa.Column('current_path', sa.Text(), nullable=True, comment='current_path (string|null)'),
    sa.Column('sort_order', sa.BigInteger(), nullable=True, comment='sort_order (integer|null)'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null(date-time))'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null(date-time))'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='added by cfsync from the list it came from'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courses_lessons')),
    comment='GET /courses/sections/{section_id}/lessons'
    )
    with op.batch_alter_table('courses_lessons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_courses_lessons_section_id'), ['section_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_courses_lessons_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('courses_sections',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('course_id', sa.BigInteger(), nullable=True, comment='course_id (integer)'),
    sa.Column('title', sa.Text(), nullable=True, comment='title (string)'),
    sa.Column('published_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='published_at (string|null(date-time))'),
    sa.Column('description', sa.Text(), nullable=True, comment='description (string|null)'),
    sa.Column('days_till_drip_access', sa.BigInteger(), nullable=True, comment='days_till_drip_access (integer|null)'),
    sa.Column('blocker_section_id', sa.Text(), nullable=True, comment='blocker_section_id (string|null)'),
    sa.Column('blocker_lesson_id', sa.Text(), nullable=True, comment='blocker_lesson_id (string)'),
    sa.Column('current_path', sa.Text(), nullable=True, comment='current_path (string|null)'),
    sa.Column('is_hidden_from_non_members', sa.Boolean(), nullable=True, comment='is_hidden_from_non_members (boolean|null)'),
    sa.Column('upgrade_url', sa.Text(), nullable=True, comment='upgrade_url (string|null)'),
    sa.Column('parent_id', sa.Text(), nullable=True, comment='parent_id (string|null)'),
    sa.Column('sort_order', sa.BigInteger(), nullable=True, comment='sort_order (integer|null)'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null(date-time))'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null(date-time))'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='added by cfsync from the list it came from'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courses_sections')),
    comment='GET /courses/{course_id}/sections'
    )
    with op.batch_alter_table('courses_sections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_courses_sections_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_courses_sections_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('form_submissions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('contact_id', sa.BigInteger(), nullable=True, comment='contact_id (integer|null)'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='workspace_id (integer)'),
    sa.Column('page_id', sa.BigInteger(), nullable=True, comment='page_id (integer|null)'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null)'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null)'),
    sa.Column('data', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='data (object)'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_form_submissions')),
    comment='GET /workspaces/{workspace_id}/form_submissions'
    )
    with op.batch_alter_table('form_submissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_submissions_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('forms_field_sets',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('form_id', sa.BigInteger(), nullable=True, comment='form_id (integer)'),
    sa.Column('title', sa.Text(), nullable=True, comment='title (string)'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null(date-time))'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null(date-time))'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='added by cfsync from the list it came from'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forms_field_sets')),
    comment='GET /forms/{form_id}/field_sets'
    )
    with op.batch_alter_table('forms_field_sets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forms_field_sets_form_id'), ['form_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_forms_field_sets_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('forms_fields',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('field_set_id', sa.BigInteger(), nullable=True, comment='field_set_id (integer)'),
    sa.Column('label', sa.Text(), nullable=True, comment='label (string)'),
    sa.Column('field_type', sa.Text(), nullable=True, comment='field_type (string|null)'),
    sa.Column('allow_multiple', sa.Boolean(), nullable=True, comment='allow_multiple (boolean|null)'),
    sa.Column('key', sa.Text(), nullable=True, comment='key (string)'),
    sa.Column('hidden', sa.Boolean(), nullable=True, comment='hidden (boolean|null)'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null(date-time))'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null(date-time))'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='added by cfsync from the list it came from'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forms_fields')),
    comment='GET /forms/field_sets/{field_set_id}/fields'
    )
    with op.batch_alter_table('forms_fields', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forms_fields_field_set_id'), ['field_set_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_forms_fields_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('forms_fields_options',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('field_id', sa.BigInteger(), nullable=True, comment='field_id (integer)'),
    sa.Column('label', sa.Text(), nullable=True, comment='label (string)'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null(date-time))'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null(date-time))'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='added by cfsync from the list it came from'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forms_fields_options')),
    comment='GET /forms/fields/{field_id}/options'
    )
    with op.batch_alter_table('forms_fields_options', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forms_fields_options_field_id'), ['field_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_forms_fields_options_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('forms_submissions_answers',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('submission_id', sa.BigInteger(), nullable=True, comment='submission_id (integer)'),
    sa.Column('field_id', sa.BigInteger(), nullable=True, comment='field_id (integer)'),
    sa.Column('fields_option_id', sa.BigInteger(), nullable=True, comment='fields_option_id (integer|null)'),
    sa.Column('entry', sa.Text(), nullable=True, comment='entry (string|null)'),
    sa.Column('fields_option_ids', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='fields_option_ids (any[])'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null(date-time))'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null(date-time))'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='added by cfsync from the list it came from'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forms_submissions_answers')),
    comment='GET /forms/submissions/{submission_id}/answers'
    )
    with op.batch_alter_table('forms_submissions_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forms_submissions_answers_submission_id'), ['submission_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_forms_submissions_answers_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('fulfillments_locations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='workspace_id (integer)'),
    sa.Column('name', sa.Text(), nullable=True, comment='name (string)'),
    sa.Column('address_name', sa.Text(), nullable=True, comment='address_name (string)'),
    sa.Column('email_address', sa.Text(), nullable=True, comment='email_address (string)'),
    sa.Column('phone_number', sa.Text(), nullable=True, comment='phone_number (string|null)'),
    sa.Column('sort_order', sa.BigInteger(), nullable=True, comment='sort_order (integer|null)'),
    sa.Column('archived', sa.Boolean(), nullable=True, comment='archived (boolean)'),
    sa.Column('external_app', sa.Boolean(), nullable=True, comment='external_app (boolean|null)'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null)'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null)'),
    sa.Column('address', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='address (object)'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fulfillments_locations')),
    comment='GET /workspaces/{workspace_id}/fulfillments/locations'
    )
    with op.batch_alter_table('fulfillments_locations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fulfillments_locations_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('funnels',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='workspace_id (integer|null)'),
    sa.Column('name', sa.Text(), nullable=True, comment='name (string)'),
    sa.Column('archived', sa.Boolean(), nullable=True, comment='archived (boolean|null)'),
    sa.Column('current_path', sa.Text(), nullable=True, comment='current_path (string)'),
    sa.Column('live_mode', sa.Boolean(), nullable=True, comment='live_mode (boolean|null)'),
    sa.Column('favicon_image_id', sa.Text(), nullable=True, comment='favicon_image_id (string|null)'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null(date-time))'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null(date-time))'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_funnels')),
    comment='GET /workspaces/{workspace_id}/funnels'
    )
    with op.batch_alter_table('funnels', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_funnels_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('funnels__tags',
    sa.Column('funnel_id', sa.BigInteger(), nullable=False, comment='funnels.id'),
    sa.Column('_position', sa.Integer(), nullable=False, comment='position in tags[]'),
    sa.Column('id', sa.BigInteger(), nullable=True, comment='tags[].id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='tags[].public_id (string|null)'),
    sa.Column('name', sa.Text(), nullable=True, comment='tags[].name (string)'),
    sa.Column('color', sa.Text(), nullable=True, comment='tags[].color (string)'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='added by cfsync'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('funnel_id', '_position', name=op.f('pk_funnels__tags')),
    comment='funnels.tags[]'
    )
    op.create_table('funnels_tags',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='workspace_id (integer)'),
    sa.Column('name', sa.Text(), nullable=True, comment='name (string)'),
    sa.Column('color', sa.Text(), nullable=True, comment='color (string)'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null(date-time))'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null(date-time))'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_funnels_tags')),
    comment='GET /workspaces/{workspace_id}/funnels/tags'
    )
    with op.batch_alter_table('funnels_tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_funnels_tags_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('orders_applied_tags',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('order_id', sa.BigInteger(), nullable=True, comment='order_id (integer)'),
    sa.Column('tag_id', sa.BigInteger(), nullable=True, comment='tag_id (integer)'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null(date-time))'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null(date-time))'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='added by cfsync from the list it came from'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders_applied_tags')),
    comment='GET /orders/{order_id}/applied_tags'
    )
    with op.batch_alter_table('orders_applied_tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_applied_tags_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_applied_tags_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('orders_invoices',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('order_id', sa.BigInteger(), nullable=True, comment='order_id (integer)'),
    sa.Column('status', sa.Text(), nullable=True, comment='status (string)'),
    sa.Column('due_amount', cfsync.store.types.Money(), nullable=True, comment='due_amount (string|null)'),
    sa.Column('total_amount', cfsync.store.types.Money(), nullable=True, comment='total_amount (string|null)'),
    sa.Column('subtotal_amount', cfsync.store.types.Money(), nullable=True, comment='subtotal_amount (string|null)'),
    sa.Column('tax_amount', cfsync.store.types.Money(), nullable=True, comment='tax_amount (string|null)'),
    sa.Column('shipping_amount', cfsync.store.types.Money(), nullable=True, comment='shipping_amount (string|null)'),
    sa.Column('discount_amount', cfsync.store.types.Money(), nullable=True, comment='discount_amount (string|null)'),
    sa.Column('currency', sa.Text(), nullable=True, comment='currency (string|null)'),
    sa.Column('issued_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='issued_at (string|null(date-time))'),
    sa.Column('due_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='due_at (string|null(date-time))'),
    sa.Column('paid_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='paid_at (string|null(date-time))'),
    sa.Column('invoice_type', sa.Text(), nullable=True, comment='invoice_type (string|null enum[initial,renewal,interim,cancellation,one_time,refund,charge,one_time_sale])'),
    sa.Column('invoice_number', sa.Text(), nullable=True, comment='invoice_number (string)'),
    sa.Column('fulfillment_status', sa.Text(), nullable=True, comment='fulfillment_status (string|null)'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null(date-time))'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null(date-time))'),
    sa.Column('external_id', sa.Text(), nullable=True, comment='external_id (string)'),
    sa.Column('payment_processor', sa.Text(), nullable=True, comment='payment_processor (string|null)'),
    sa.Column('eligible_for_fulfillment', sa.Boolean(), nullable=True, comment='eligible_for_fulfillment (boolean|null)'),
    sa.Column('order', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='order (object)'),
    sa.Column('visits', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='visits (object)'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='added by cfsync from the list it came from'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders_invoices')),
    comment='GET /workspaces/{workspace_id}/orders/invoices'
    )
    with op.batch_alter_table('orders_invoices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_invoices_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('orders_invoices__line_items',
    sa.Column('orders_invoice_id', sa.BigInteger(), nullable=False, comment='orders_invoices.id'),
    sa.Column('_position', sa.Integer(), nullable=False, comment='position in line_items[]'),
    sa.Column('id', sa.BigInteger(), nullable=True, comment='line_items[].id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='line_items[].public_id (string|null)'),
    sa.Column('invoice_id', sa.BigInteger(), nullable=True, comment='line_items[].invoice_id (integer)'),
    sa.Column('external_id', sa.Text(), nullable=True, comment='line_items[].external_id (string)'),
    sa.Column('payment_type', sa.Text(), nullable=True, comment='line_items[].payment_type (string|null)'),
    sa.Column('description', sa.Text(), nullable=True, comment='line_items[].description (string|null)'),
    sa.Column('quantity', sa.BigInteger(), nullable=True, comment='line_items[].quantity (integer|null)'),
    sa.Column('fulfillment_status', sa.Text(), nullable=True, comment='line_items[].fulfillment_status (string|null enum[unfulfilled,partially_fulfilled,complete,ignored])'),
    sa.Column('external_product_id', sa.Text(), nullable=True, comment='line_items[].external_product_id (string|null)'),
    sa.Column('discount_amount', cfsync.store.types.Money(), nullable=True, comment='line_items[].discount_amount (number|null)'),
    sa.Column('state_tax_amount', cfsync.store.types.Money(), nullable=True, comment='line_items[].state_tax_amount (number|null)'),
    sa.Column('county_tax_amount', cfsync.store.types.Money(), nullable=True, comment='line_items[].county_tax_amount (number|null)'),
    sa.Column('city_tax_amount', cfsync.store.types.Money(), nullable=True, comment='line_items[].city_tax_amount (number|null)'),
    sa.Column('district_tax_amount', cfsync.store.types.Money(), nullable=True, comment='line_items[].district_tax_amount (number|null)'),
    sa.Column('state_tax_rate', cfsync.store.types.Money(), nullable=True, comment='line_items[].state_tax_rate (number|null)'),
    sa.Column('county_tax_rate', cfsync.store.types.Money(), nullable=True, comment='line_items[].county_tax_rate (number|null)'),
    sa.Column('city_tax_rate', cfsync.store.types.Money(), nullable=True, comment='line_items[].city_tax_rate (number|null)'),
    sa.Column('district_tax_rate', cfsync.store.types.Money(), nullable=True, comment='line_items[].district_tax_rate (number|null)'),
    sa.Column('country_tax_jurisdiction', sa.Text(), nullable=True, comment='line_items[].country_tax_jurisdiction (string|null)'),
    sa.Column('state_tax_jurisdiction', sa.Text(), nullable=True, comment='line_items[].state_tax_jurisdiction (string|null)'),
    sa.Column('county_tax_jurisdiction', sa.Text(), nullable=True, comment='line_items[].county_tax_jurisdiction (string|null)'),
    sa.Column('city_tax_jurisdiction', sa.Text(), nullable=True, comment='line_items[].city_tax_jurisdiction (string|null)'),
    sa.Column('period_start_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='line_items[].period_start_at (string|null)'),
    sa.Column('period_end_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='line_items[].period_end_at (string|null)'),
    sa.Column('period_number', sa.Text(), nullable=True, comment='line_items[].period_number (string|null)'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='line_items[].created_at (string|null)'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='line_items[].updated_at (string|null)'),
    sa.Column('amount', cfsync.store.types.Money(), nullable=True, comment='line_items[].amount (string|null)'),
    sa.Column('products_price', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='line_items[].products_price (object)'),
    sa.Column('products_variant', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='line_items[].products_variant (object)'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='added by cfsync'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('orders_invoice_id', '_position', name=op.f('pk_orders_invoices__line_items')),
    comment='orders_invoices.line_items[]'
    )
    op.create_table('orders_invoices_restocks',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null(date-time))'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null(date-time))'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='added by cfsync from the list it came from'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders_invoices_restocks')),
    comment='GET /workspaces/{workspace_id}/orders/invoices/restocks'
    )
    with op.batch_alter_table('orders_invoices_restocks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_invoices_restocks_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('orders_tags',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='workspace_id (integer)'),
    sa.Column('name', sa.Text(), nullable=True, comment='name (string)'),
    sa.Column('color', sa.Text(), nullable=True, comment='color (string)'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null(date-time))'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null(date-time))'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders_tags')),
    comment='GET /workspaces/{workspace_id}/orders/tags'
    )
    with op.batch_alter_table('orders_tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_tags_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('orders_transactions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('order_id', sa.BigInteger(), nullable=True, comment='order_id (integer)'),
    sa.Column('status', sa.Text(), nullable=True, comment='status (string)'),
    sa.Column('external_type', sa.Text(), nullable=True, comment='external_type (string|null)'),
    sa.Column('external_id', sa.Text(), nullable=True, comment='external_id (string)'),
    sa.Column('amount', cfsync.store.types.Money(), nullable=True, comment='amount (string|null)'),
    sa.Column('currency', sa.Text(), nullable=True, comment='currency (string|null)'),
    sa.Column('reason', sa.Text(), nullable=True, comment='reason (string|null)'),
    sa.Column('adjusted_transaction_id', sa.Text(), nullable=True, comment='adjusted_transaction_id (string|null)'),
    sa.Column('result', sa.Text(), nullable=True, comment='result (string)'),
    sa.Column('billing_payment_instruction_id', sa.Text(), nullable=True, comment='billing_payment_instruction_id (string|null)'),
    sa.Column('billing_payment_instruction_type', sa.Text(), nullable=True, comment='billing_payment_instruction_type (string|null)'),
    sa.Column('arn', sa.Text(), nullable=True, comment='arn (string|null)'),
    sa.Column('is_rebill', sa.Boolean(), nullable=True, comment='is_rebill (boolean|null)'),
    sa.Column('rebill_number', sa.Text(), nullable=True, comment='rebill_number (string|null)'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null)'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null)'),
    sa.Column('visits', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='visits (object)'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='added by cfsync from the list it came from'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders_transactions')),
    comment='GET /orders/{order_id}/transactions'
    )
    with op.batch_alter_table('orders_transactions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_transactions_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_transactions_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('pages',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='workspace_id (integer)'),
    sa.Column('name', sa.Text(), nullable=True, comment='name (string)'),
    sa.Column('theme_id', sa.Text(), nullable=True, comment='theme_id (string|null)'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null(date-time))'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null(date-time))'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pages')),
    comment='GET /workspaces/{workspace_id}/pages'
    )
    with op.batch_alter_table('pages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pages_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('products_collections',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='workspace_id (integer)'),
    sa.Column('name', sa.Text(), nullable=True, comment='name (string)'),
    sa.Column('description', sa.Text(), nullable=True, comment='description (string|null)'),
    sa.Column('collection_type', sa.Text(), nullable=True, comment='collection_type (string|null)'),
    sa.Column('product_ids', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='product_ids (any[])'),
    sa.Column('sort_method', sa.Text(), nullable=True, comment='sort_method (string|null enum[manually,name_asc,name_desc,price_desc,price_asc,added_at_desc,added_at_asc,created_at_desc,created_at_asc])'),
    sa.Column('archived', sa.Boolean(), nullable=True, comment='archived (boolean|null)'),
    sa.Column('image_id', sa.Text(), nullable=True, comment='image_id (string|null)'),
    sa.Column('visible_in_store', sa.Boolean(), nullable=True, comment='visible_in_store (boolean|null)'),
    sa.Column('current_path', sa.Text(), nullable=True, comment='current_path (string|null)'),
    sa.Column('seo_title', sa.Text(), nullable=True, comment='seo_title (string|null)'),
    sa.Column('seo_description', sa.Text(), nullable=True, comment='seo_description (string|null)'),
    sa.Column('seo_indexable', sa.Text(), nullable=True, comment='seo_indexable (string|null)'),
    sa.Column('social_image_id', sa.Text(), nullable=True, comment='social_image_id (string|null)'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null)'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null)'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_products_collections')),
    comment='GET /workspaces/{workspace_id}/products/collections'
    )
    with op.batch_alter_table('products_collections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_products_collections_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('products_prices',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('variant_id', sa.BigInteger(), nullable=True, comment='variant_id (integer|null)'),
    sa.Column('name', sa.Text(), nullable=True, comment='name (string|null)'),
    sa.Column('amount', cfsync.store.types.Money(), nullable=True, comment='amount (string)'),
    sa.Column('cost', cfsync.store.types.Money(), nullable=True, comment='cost (string|null)'),
    sa.Column('currency', sa.Text(), nullable=True, comment='currency (string)'),
    sa.Column('duration', sa.Text(), nullable=True, comment='duration (string)'),
    sa.Column('interval', sa.Text(), nullable=True, comment='interval (string)'),
    sa.Column('trial_interval', sa.Text(), nullable=True, comment='trial_interval (string)'),
    sa.Column('trial_duration', sa.Text(), nullable=True, comment='trial_duration (string)'),
    sa.Column('trial_amount', cfsync.store.types.Money(), nullable=True, comment='trial_amount (string)'),
    sa.Column('setup_amount', cfsync.store.types.Money(), nullable=True, comment='setup_amount (string|null)'),
    sa.Column('self_cancel', sa.Boolean(), nullable=True, comment='self_cancel (boolean|null)'),
    sa.Column('self_upgrade', sa.Boolean(), nullable=True, comment='self_upgrade (boolean|null)'),
    sa.Column('self_downgrade', sa.Boolean(), nullable=True, comment='self_downgrade (boolean|null)'),
    sa.Column('self_reactivate', sa.Boolean(), nullable=True, comment='self_reactivate (boolean|null)'),
    sa.Column('interval_count', sa.Text(), nullable=True, comment='interval_count (string)'),
    sa.Column('payment_type', sa.Text(), nullable=True, comment='payment_type (string|null enum[one_time,subscription,payment_plan])'),
    sa.Column('visible', sa.Boolean(), nullable=True, comment='visible (boolean|null)'),
    sa.Column('compare_at_amount', cfsync.store.types.Money(), nullable=True, comment='compare_at_amount (string|null)'),
    sa.Column('key', sa.Text(), nullable=True, comment='key (string|null)'),
    sa.Column('archived', sa.Boolean(), nullable=True, comment='archived (boolean|null)'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null(date-time))'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null(date-time))'),
    sa.Column('product_id', sa.BigInteger(), nullable=True, comment='added by cfsync from the list it came from'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='added by cfsync from the list it came from'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_products_prices')),
    comment='GET /products/{product_id}/prices'
    )
    with op.batch_alter_table('products_prices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_products_prices_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_products_prices_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('products_tags',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='workspace_id (integer)'),
    sa.Column('name', sa.Text(), nullable=True, comment='name (string)'),
    sa.Column('color', sa.Text(), nullable=True, comment='color (string)'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null(date-time))'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null(date-time))'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_products_tags')),
    comment='GET /workspaces/{workspace_id}/products/tags'
    )
    with op.batch_alter_table('products_tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_products_tags_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('products_variants',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('product_id', sa.BigInteger(), nullable=True, comment='product_id (integer)'),
    sa.Column('name', sa.Text(), nullable=True, comment='name (string)'),
    sa.Column('description', sa.Text(), nullable=True, comment='description (string|null)'),
    sa.Column('sku', sa.Text(), nullable=True, comment='sku (string|null)'),
    sa.Column('product_type', sa.Text(), nullable=True, comment='product_type (string)'),
    sa.Column('properties_value_ids', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='properties_value_ids (any[])'),
    sa.Column('out_of_stock_sales', sa.Text(), nullable=True, comment='out_of_stock_sales (string|null)'),
    sa.Column('weight', cfsync.store.types.Money(), nullable=True, comment='weight (number|null)'),
    sa.Column('weight_unit', sa.Text(), nullable=True, comment='weight_unit (string)'),
    sa.Column('height', cfsync.store.types.Money(), nullable=True, comment='height (number|null)'),
    sa.Column('width', cfsync.store.types.Money(), nullable=True, comment='width (number|null)'),
    sa.Column('length', cfsync.store.types.Money(), nullable=True, comment='length (number|null)'),
    sa.Column('dimensions_unit', sa.Text(), nullable=True, comment='dimensions_unit (string|null)'),
    sa.Column('quantity', sa.BigInteger(), nullable=True, comment='quantity (integer|null)'),
    sa.Column('tag_ids', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='tag_ids (any[])'),
    sa.Column('tax_category_id', sa.Text(), nullable=True, comment='tax_category_id (string|null)'),
    sa.Column('asset_ids', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='asset_ids (any[])'),
    sa.Column('taxable', sa.Text(), nullable=True, comment='taxable (string|null)'),
    sa.Column('track_quantity', sa.Boolean(), nullable=True, comment='track_quantity (boolean|null)'),
    sa.Column('archived', sa.Boolean(), nullable=True, comment='archived (boolean|null)'),
    sa.Column('visible', sa.Boolean(), nullable=True, comment='visible (boolean|null)'),
    sa.Column('price_ids', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='price_ids (any[])'),
    sa.Column('fulfillment_required', sa.Boolean(), nullable=True, comment='fulfillment_required (boolean|null)'),
    sa.Column('country_of_manufacture_id', sa.Text(), nullable=True, comment='country_of_manufacture_id (string|null)'),
    sa.Column('image_ids', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='image_ids (any[])'),
    sa.Column('fulfillments_location_ids', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='fulfillments_location_ids (any[])'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null(date-time))'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null(date-time))'),
    sa.Column('default', sa.Boolean(), nullable=True, comment='default (boolean|null)'),
    sa.Column('created_by_platform_application', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='created_by_platform_application (object)'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='added by cfsync from the list it came from'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_products_variants')),
    comment='GET /products/{product_id}/variants'
    )
    with op.batch_alter_table('products_variants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_products_variants_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_products_variants_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('products_variants__properties_values',
    sa.Column('products_variant_id', sa.BigInteger(), nullable=False, comment='products_variants.id'),
    sa.Column('_position', sa.Integer(), nullable=False, comment='position in properties_values[]'),
    sa.Column('property_id', sa.BigInteger(), nullable=True, comment='properties_values[].property_id (integer|null)'),
    sa.Column('value', sa.Text(), nullable=True, comment='properties_values[].value (string|null)'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='added by cfsync'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('products_variant_id', '_position', name=op.f('pk_products_variants__properties_values')),
    comment='products_variants.properties_values[]'
    )
    op.create_table('sales_opportunities',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('name', sa.Text(), nullable=True, comment='name (string)'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='workspace_id (integer)'),
    sa.Column('pipeline_id', sa.Text(), nullable=True, comment='pipeline_id (string|null)'),
    sa.Column('pipelines_stage_id', sa.BigInteger(), nullable=True, comment='pipelines_stage_id (integer)'),
    sa.Column('primary_contact_id', sa.BigInteger(), nullable=True, comment='primary_contact_id (integer)'),
    sa.Column('value', cfsync.store.types.Money(), nullable=True, comment='value (number|null)'),
    sa.Column('closed_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='closed_at (string|null(date-time))'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null(date-time))'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null(date-time))'),
    sa.Column('pipeline', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='pipeline (object)'),
    sa.Column('pipelines_stage', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='pipelines_stage (object)'),
    sa.Column('primary_contact', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='primary_contact (object)'),
    sa.Column('assignee_id', sa.Text(), nullable=True, comment='assignee_id (string|null)'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_opportunities')),
    comment='GET /workspaces/{workspace_id}/sales/opportunities'
    )
    with op.batch_alter_table('sales_opportunities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_opportunities_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('sales_opportunities__notes',
    sa.Column('sales_opportunity_id', sa.BigInteger(), nullable=False, comment='sales_opportunities.id'),
    sa.Column('_position', sa.Integer(), nullable=False, comment='position in notes[]'),
    sa.Column('id', sa.BigInteger(), nullable=True, comment='notes[].id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='notes[].public_id (string|null)'),
    sa.Column('content', sa.Text(), nullable=True, comment='notes[].content (string)'),
    sa.Column('created_by_id', sa.BigInteger(), nullable=True, comment='notes[].created_by_id (integer|null)'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='notes[].created_at (string|null(date-time))'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='notes[].updated_at (string|null(date-time))'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='added by cfsync'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('sales_opportunity_id', '_position', name=op.f('pk_sales_opportunities__notes')),
    comment='sales_opportunities.notes[]'
    )
    op.create_table('sales_opportunities_notes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('opportunity_id', sa.BigInteger(), nullable=True, comment='opportunity_id (integer)'),
    sa.Column('content', sa.Text(), nullable=True, comment='content (string)'),
    sa.Column('created_by_id', sa.BigInteger(), nullable=True, comment='created_by_id (integer|null)'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null(date-time))'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null(date-time))'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='added by cfsync from the list it came from'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_opportunities_notes')),
    comment='GET /sales/opportunities/{opportunity_id}/notes'
    )
    with op.batch_alter_table('sales_opportunities_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_opportunities_notes_opportunity_id'), ['opportunity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_opportunities_notes_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('sales_pipelines',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='workspace_id (integer)'),
    sa.Column('name', sa.Text(), nullable=True, comment='name (string)'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null(date-time))'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null(date-time))'),
    sa.Column('total_value', sa.BigInteger(), nullable=True, comment='total_value (integer|null)'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_pipelines')),
    comment='GET /workspaces/{workspace_id}/sales/pipelines'
    )
    with op.batch_alter_table('sales_pipelines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_pipelines_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('sales_pipelines__stages',
    sa.Column('sales_pipeline_id', sa.BigInteger(), nullable=False, comment='sales_pipelines.id'),
    sa.Column('_position', sa.Integer(), nullable=False, comment='position in stages[]'),
    sa.Column('id', sa.BigInteger(), nullable=True, comment='stages[].id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='stages[].public_id (string|null)'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='stages[].workspace_id (integer)'),
    sa.Column('pipeline_id', sa.BigInteger(), nullable=True, comment='stages[].pipeline_id (integer)'),
    sa.Column('name', sa.Text(), nullable=True, comment='stages[].name (string)'),
    sa.Column('sort_order', sa.BigInteger(), nullable=True, comment='stages[].sort_order (integer|null)'),
    sa.Column('close_probability', cfsync.store.types.Money(), nullable=True, comment='stages[].close_probability (number|null)'),
    sa.Column('opportunity_ids', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='stages[].opportunity_ids (any[])'),
    sa.Column('total_value', sa.BigInteger(), nullable=True, comment='stages[].total_value (integer|null)'),
    sa.Column('weighted_value', cfsync.store.types.Money(), nullable=True, comment='stages[].weighted_value (number|null)'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('sales_pipeline_id', '_position', name=op.f('pk_sales_pipelines__stages')),
    comment='sales_pipelines.stages[]'
    )
    op.create_table('sales_pipelines_stages',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='workspace_id (integer|null)'),
    sa.Column('pipeline_id', sa.BigInteger(), nullable=True, comment='pipeline_id (integer)'),
    sa.Column('name', sa.Text(), nullable=True, comment='name (string)'),
    sa.Column('sort_order', sa.BigInteger(), nullable=True, comment='sort_order (integer|null)'),
    sa.Column('close_probability', cfsync.store.types.Money(), nullable=True, comment='close_probability (number)'),
    sa.Column('opportunity_ids', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='opportunity_ids (any[])'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null(date-time))'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null(date-time))'),
    sa.Column('total_value', sa.BigInteger(), nullable=True, comment='total_value (integer|null)'),
    sa.Column('weighted_value', cfsync.store.types.Money(), nullable=True, comment='weighted_value (number|null)'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_pipelines_stages')),
    comment='GET /sales/pipelines/{pipeline_id}/stages'
    )
    with op.batch_alter_table('sales_pipelines_stages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_pipelines_stages_pipeline_id'), ['pipeline_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_pipelines_stages_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('shipping_location_groups',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('profile_id', sa.BigInteger(), nullable=True, comment='profile_id (integer)'),
    sa.Column('name', sa.Text(), nullable=True, comment='name (string)'),
    sa.Column('fulfillments_location_ids', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='fulfillments_location_ids (any[])'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null(date-time))'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null(date-time))'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='added by cfsync from the list it came from'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipping_location_groups')),
    comment='GET /shipping/profiles/{profile_id}/location_groups'
    )
    with op.batch_alter_table('shipping_location_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shipping_location_groups_profile_id'), ['profile_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipping_location_groups_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('shipping_packages',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('package_type', sa.Text(), nullable=True, comment='package_type (string enum[box,envelope,soft_package])'),
    sa.Column('height', cfsync.store.types.Money(), nullable=True, comment='height (number)'),
    sa.Column('width', cfsync.store.types.Money(), nullable=True, comment='width (number)'),
    sa.Column('length', cfsync.store.types.Money(), nullable=True, comment='length (number)'),
    sa.Column('distance_unit', sa.Text(), nullable=True, comment='distance_unit (string enum[in,cm,ft,m,mm])'),
    sa.Column('empty_weight', sa.Text(), nullable=True, comment='empty_weight (string|null)'),
    sa.Column('weight', cfsync.store.types.Money(), nullable=True, comment='weight (number|null)'),
    sa.Column('weight_unit', sa.Text(), nullable=True, comment='weight_unit (string|null enum[lb,kg,g,oz])'),
    sa.Column('default_package', sa.Boolean(), nullable=True, comment='default_package (boolean|null)'),
    sa.Column('name', sa.Text(), nullable=True, comment='name (string)'),
    sa.Column('token', sa.Text(), nullable=True, comment='token (string|null)'),
    sa.Column('carrier', sa.Text(), nullable=True, comment='carrier (string|null enum[fedex,ups,usps])'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null(date-time))'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null(date-time))'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='added by cfsync from the list it came from'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipping_packages')),
    comment='GET /workspaces/{workspace_id}/shipping/packages'
    )
    with op.batch_alter_table('shipping_packages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shipping_packages_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('shipping_profiles',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('name', sa.Text(), nullable=True, comment='name (string)'),
    sa.Column('variant_ids', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='variant_ids (any[])'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null(date-time))'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null(date-time))'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='added by cfsync from the list it came from'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipping_profiles')),
    comment='GET /workspaces/{workspace_id}/shipping/profiles'
    )
    with op.batch_alter_table('shipping_profiles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shipping_profiles_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('shipping_rates',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('zone_id', sa.BigInteger(), nullable=True, comment='zone_id (integer)'),
    sa.Column('description', sa.Text(), nullable=True, comment='description (string|null)'),
    sa.Column('provider_name', sa.Text(), nullable=True, comment='provider_name (string|null)'),
    sa.Column('price', cfsync.store.types.Money(), nullable=True, comment='price (string)'),
    sa.Column('price_currency', sa.Text(), nullable=True, comment='price_currency (string)'),
    sa.Column('rates_name_id', sa.BigInteger(), nullable=True, comment='rates_name_id (integer)'),
    sa.Column('live_rates_provider', sa.Text(), nullable=True, comment='live_rates_provider (string|null enum[Shippo])'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null(date-time))'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null(date-time))'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='added by cfsync from the list it came from'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipping_rates')),
    comment='GET /shipping/zones/{zone_id}/rates'
    )
    with op.batch_alter_table('shipping_rates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shipping_rates_workspace_id'), ['workspace_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipping_rates_zone_id'), ['zone_id'], unique=False)

    op.create_table('shipping_rates_names',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='workspace_id (integer)'),
    sa.Column('name', sa.Text(), nullable=True, comment='name (string)'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null(date-time))'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null(date-time))'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipping_rates_names')),
    comment='GET /workspaces/{workspace_id}/shipping/rates/names'
    )
    with op.batch_alter_table('shipping_rates_names', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shipping_rates_names_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('shipping_zones',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('location_group_id', sa.BigInteger(), nullable=True, comment='location_group_id (integer)'),
    sa.Column('name', sa.Text(), nullable=True, comment='name (string)'),
    sa.Column('address_filter_id', sa.Text(), nullable=True, comment='address_filter_id (string|null)'),
    sa.Column('region_ids', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='region_ids (any[])'),
    sa.Column('country_ids', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='country_ids (any[])'),
    sa.Column('includes_rest_of_world', sa.Boolean(), nullable=True, comment='includes_rest_of_world (boolean|null)'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null(date-time))'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null)'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='added by cfsync from the list it came from'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipping_zones')),
    comment='GET /shipping/location_groups/{location_group_id}/zones'
    )
    with op.batch_alter_table('shipping_zones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shipping_zones_location_group_id'), ['location_group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipping_zones_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('stores',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('name', sa.Text(), nullable=True, comment='name (string)'),
    sa.Column('current_path', sa.Text(), nullable=True, comment='current_path (string|null)'),
    sa.Column('seo_title', sa.Text(), nullable=True, comment='seo_title (string|null)'),
    sa.Column('seo_description', sa.Text(), nullable=True, comment='seo_description (string|null)'),
    sa.Column('seo_indexable', sa.Boolean(), nullable=True, comment='seo_indexable (boolean|null)'),
    sa.Column('social_image_id', sa.Text(), nullable=True, comment='social_image_id (string|null)'),
    sa.Column('status', sa.Text(), nullable=True, comment='status (string|null enum[draft,published])'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null)'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null)'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='workspace_id (integer|null)'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stores')),
    comment='GET /workspaces/{workspace_id}/stores'
    )
    with op.batch_alter_table('stores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stores_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('styles',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='workspace_id (integer)'),
    sa.Column('theme_id', sa.BigInteger(), nullable=True, comment='theme_id (integer|null)'),
    sa.Column('name', sa.Text(), nullable=True, comment='name (string)'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null)'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null)'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_styles')),
    comment='GET /workspaces/{workspace_id}/styles'
    )
    with op.batch_alter_table('styles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_styles_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('themes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='workspace_id (integer)'),
    sa.Column('name', sa.Text(), nullable=True, comment='name (string)'),
    sa.Column('custom_name', sa.Text(), nullable=True, comment='custom_name (string|null)'),
    sa.Column('current_style_id', sa.BigInteger(), nullable=True, comment='current_style_id (integer|null)'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null(date-time))'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null(date-time))'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_themes')),
    comment='GET /workspaces/{workspace_id}/themes'
    )
    with op.batch_alter_table('themes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_themes_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('themes__styles',
    sa.Column('theme_id', sa.BigInteger(), nullable=False, comment='themes.id'),
    sa.Column('_position', sa.Integer(), nullable=False, comment='position in styles[]'),
    sa.Column('id', sa.BigInteger(), nullable=True, comment='styles[].id (integer)'),
    sa.Column('name', sa.Text(), nullable=True, comment='styles[].name (string)'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='added by cfsync'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('theme_id', '_position', name=op.f('pk_themes__styles')),
    comment='themes.styles[]'
    )
    op.create_table('users',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('email', sa.Text(), nullable=True, comment='email (string)'),
    sa.Column('first_name', sa.Text(), nullable=True, comment='first_name (string)'),
    sa.Column('last_name', sa.Text(), nullable=True, comment='last_name (string)'),
    sa.Column('time_zone', sa.Text(), nullable=True, comment='time_zone (string|null)'),
    sa.Column('locale', sa.Text(), nullable=True, comment='locale (string|null)'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null(date-time))'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null(date-time))'),
    sa.Column('_account', sa.Text(), nullable=True, comment='added by cfsync from the list it came from'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    comment='GET /users'
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users__account'), ['_account'], unique=False)

    op.create_table('webhooks_outgoing_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='workspace_id (integer)'),
    sa.Column('uuid', sa.Text(), nullable=True, comment='uuid (string|null)'),
    sa.Column('event_type_id', sa.Text(), nullable=True, comment='event_type_id (string|null)'),
    sa.Column('subject_id', sa.BigInteger(), nullable=True, comment='subject_id (integer)'),
    sa.Column('subject_type', sa.Text(), nullable=True, comment='subject_type (string|null)'),
    sa.Column('data', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='data (object)'),
    sa.Column('api_version', sa.BigInteger(), nullable=True, comment='api_version (integer|null)'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null(date-time))'),
    sa.Column('page', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='page (object)'),
    sa.Column('funnel', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='funnel (object)'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhooks_outgoing_events')),
    comment='GET /workspaces/{workspace_id}/webhooks/outgoing/events'
    )
    with op.batch_alter_table('webhooks_outgoing_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhooks_outgoing_events_workspace_id'), ['workspace_id'], unique=False)

    with op.batch_alter_table('sync_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('accounts', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='names of the accounts the run synced'))




def downgrade() -> None:

    with op.batch_alter_table('sync_runs', schema=None) as batch_op:
        batch_op.drop_column('accounts')

    with op.batch_alter_table('webhooks_outgoing_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhooks_outgoing_events_workspace_id'))

    op.drop_table('webhooks_outgoing_events')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users__account'))

    op.drop_table('users')
    op.drop_table('themes__styles')
    with op.batch_alter_table('themes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_themes_workspace_id'))

    op.drop_table('themes')
    with op.batch_alter_table('styles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_styles_workspace_id'))

    op.drop_table('styles')
    with op.batch_alter_table('stores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stores_workspace_id'))

    op.drop_table('stores')
    with op.batch_alter_table('shipping_zones', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shipping_zones_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_shipping_zones_location_group_id'))

    op.drop_table('shipping_zones')
    with op.batch_alter_table('shipping_rates_names', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shipping_rates_names_workspace_id'))

    op.drop_table('shipping_rates_names')
    with op.batch_alter_table('shipping_rates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shipping_rates_zone_id'))
        batch_op.drop_index(batch_op.f('ix_shipping_rates_workspace_id'))

    op.drop_table('shipping_rates')
    with op.batch_alter_table('shipping_profiles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shipping_profiles_workspace_id'))

    op.drop_table('shipping_profiles')
    with op.batch_alter_table('shipping_packages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shipping_packages_workspace_id'))

    op.drop_table('shipping_packages')
    with op.batch_alter_table('shipping_location_groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shipping_location_groups_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_shipping_location_groups_profile_id'))

    op.drop_table('shipping_location_groups')
    with op.batch_alter_table('sales_pipelines_stages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_pipelines_stages_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_sales_pipelines_stages_pipeline_id'))

    op.drop_table('sales_pipelines_stages')
    op.drop_table('sales_pipelines__stages')
    with op.batch_alter_table('sales_pipelines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_pipelines_workspace_id'))

    op.drop_table('sales_pipelines')
    with op.batch_alter_table('sales_opportunities_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_opportunities_notes_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_sales_opportunities_notes_opportunity_id'))

    op.drop_table('sales_opportunities_notes')
    op.drop_table('sales_opportunities__notes')
    with op.batch_alter_table('sales_opportunities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_opportunities_workspace_id'))

    op.drop_table('sales_opportunities')
    op.drop_table('products_variants__properties_values')
    with op.batch_alter_table('products_variants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_products_variants_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_products_variants_product_id'))

    op.drop_table('products_variants')
    with op.batch_alter_table('products_tags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_products_tags_workspace_id'))

    op.drop_table('products_tags')
    with op.batch_alter_table('products_prices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_products_prices_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_products_prices_product_id'))

    op.drop_table('products_prices')
    with op.batch_alter_table('products_collections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_products_collections_workspace_id'))

    op.drop_table('products_collections')
    with op.batch_alter_table('pages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pages_workspace_id'))

    op.drop_table('pages')
    with op.batch_alter_table('orders_transactions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_transactions_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_orders_transactions_order_id'))

    op.drop_table('orders_transactions')
    with op.batch_alter_table('orders_tags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_tags_workspace_id'))

    op.drop_table('orders_tags')
    with op.batch_alter_table('orders_invoices_restocks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_invoices_restocks_workspace_id'))

    op.drop_table('orders_invoices_restocks')
    op.drop_table('orders_invoices__line_items')
    with op.batch_alter_table('orders_invoices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_invoices_workspace_id'))

    op.drop_table('orders_invoices')
    with op.batch_alter_table('orders_applied_tags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_applied_tags_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_orders_applied_tags_order_id'))

    op.drop_table('orders_applied_tags')
    with op.batch_alter_table('funnels_tags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_funnels_tags_workspace_id'))

    op.drop_table('funnels_tags')
    op.drop_table('funnels__tags')
    with op.batch_alter_table('funnels', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_funnels_workspace_id'))

    op.drop_table('funnels')
    with op.batch_alter_table('fulfillments_locations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fulfillments_locations_workspace_id'))

    op.drop_table('fulfillments_locations')
    with op.batch_alter_table('forms_submissions_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_forms_submissions_answers_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_forms_submissions_answers_submission_id'))

    op.drop_table('forms_submissions_answers')
    with op.batch_alter_table('forms_fields_options', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_forms_fields_options_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_forms_fields_options_field_id'))

    op.drop_table('forms_fields_options')
    with op.batch_alter_table('forms_fields', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_forms_fields_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_forms_fields_field_set_id'))

    op.drop_table('forms_fields')
    with op.batch_alter_table('forms_field_sets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_forms_field_sets_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_forms_field_sets_form_id'))

    op.drop_table('forms_field_sets')
    with op.batch_alter_table('form_submissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_form_submissions_workspace_id'))

    op.drop_table('form_submissions')
    with op.batch_alter_table('courses_sections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_courses_sections_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_courses_sections_course_id'))

    op.drop_table('courses_sections')
    with op.batch_alter_table('courses_lessons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_courses_lessons_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_courses_lessons_section_id'))

    op.drop_table('courses_lessons')
    with op.batch_alter_table('courses_lesson_completions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_courses_lesson_completions_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_courses_lesson_completions_course_id'))

    op.drop_table('courses_lesson_completions')
    with op.batch_alter_table('contacts_tags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contacts_tags_workspace_id'))

    op.drop_table('contacts_tags')
    with op.batch_alter_table('contacts_applied_tags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contacts_applied_tags_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_contacts_applied_tags_contact_id'))

    op.drop_table('contacts_applied_tags')

