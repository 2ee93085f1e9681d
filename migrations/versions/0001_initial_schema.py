"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-28 18:02:33.051503
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import cfsync.store.types

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('_rejects',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('account', sa.Text(), nullable=False),
    sa.Column('resource', sa.Text(), nullable=False),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True),
    sa.Column('record_id', sa.Text(), nullable=True, comment="the record's id as sent, when it had one"),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='the record as the API sent it'),
    sa.Column('rejected_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk__rejects')),
    comment='records that did not fit their table; the sync went on without them'
    )
    op.create_table('contacts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='workspace_id (integer)'),
    sa.Column('anonymous', sa.Text(), nullable=True, comment='anonymous (string|null)'),
    sa.Column('email_address', sa.Text(), nullable=True, comment='email_address (string|null)'),
    sa.Column('first_name', sa.Text(), nullable=True, comment='first_name (string|null)'),
    sa.Column('last_name', sa.Text(), nullable=True, comment='last_name (string|null)'),
    sa.Column('phone_number', sa.Text(), nullable=True, comment='phone_number (string|null)'),
    sa.Column('time_zone', sa.Text(), nullable=True, comment='time_zone (string|null)'),
    sa.Column('uuid', sa.Text(), nullable=True, comment='uuid (string)'),
    sa.Column('unsubscribed_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='unsubscribed_at (string|null)'),
    sa.Column('last_notification_email_sent_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='last_notification_email_sent_at (string|null)'),
    sa.Column('fb_url', sa.Text(), nullable=True, comment='fb_url (string|null)'),
    sa.Column('twitter_url', sa.Text(), nullable=True, comment='twitter_url (string|null)'),
    sa.Column('instagram_url', sa.Text(), nullable=True, comment='instagram_url (string|null)'),
    sa.Column('linkedin_url', sa.Text(), nullable=True, comment='linkedin_url (string|null)'),
    sa.Column('website_url', sa.Text(), nullable=True, comment='website_url (string|null)'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null(date-time))'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null(date-time))'),
    sa.Column('custom_attributes', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='custom_attributes (object)'),
    sa.Column('visits', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='visits (object)'),
    sa.Column('avatar_image', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='avatar_image (object)'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contacts')),
    comment='GET /workspaces/{workspace_id}/contacts'
    )
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contacts_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('contacts__tags',
    sa.Column('contact_id', sa.BigInteger(), nullable=False, comment='contacts.id'),
    sa.Column('_position', sa.Integer(), nullable=False, comment='position in tags[]'),
    sa.Column('id', sa.BigInteger(), nullable=True, comment='tags[].id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='tags[].public_id (string|null)'),
    sa.Column('name', sa.Text(), nullable=True, comment='tags[].name (string)'),
    sa.Column('color', sa.Text(), nullable=True, comment='tags[].color (string)'),
    sa.Column('applied_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='tags[].applied_at (string|null)'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='added by cfsync'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('contact_id', '_position', name=op.f('pk_contacts__tags')),
    comment='contacts.tags[]'
    )
    op.create_table('courses',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('title', sa.Text(), nullable=True, comment='title (string)'),
    sa.Column('published_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='published_at (string|null(date-time))'),
    sa.Column('root_section_id', sa.Text(), nullable=True, comment='root_section_id (string|null)'),
    sa.Column('description', sa.Text(), nullable=True, comment='description (string)'),
    sa.Column('current_path', sa.Text(), nullable=True, comment='current_path (string|null)'),
    sa.Column('sharing_fingerprint', sa.Text(), nullable=True, comment='sharing_fingerprint (string|null)'),
    sa.Column('show_in_community', sa.Boolean(), nullable=True, comment='show_in_community (boolean|null)'),
    sa.Column('show_to_non_members', sa.Boolean(), nullable=True, comment='show_to_non_members (boolean|null)'),
    sa.Column('upgrade_url', sa.Text(), nullable=True, comment='upgrade_url (string|null)'),
    sa.Column('redirect_to_full_course', sa.Boolean(), nullable=True, comment='redirect_to_full_course (boolean|null)'),
    sa.Column('unauthorized_redirect_url', sa.Text(), nullable=True, comment='unauthorized_redirect_url (string|null)'),
    sa.Column('comments_enabled', sa.Boolean(), nullable=True, comment='comments_enabled (boolean|null)'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null(date-time))'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null(date-time))'),
    sa.Column('image_url', sa.Text(), nullable=True, comment='image_url (string|null)'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='added by cfsync from the list it came from'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courses')),
    comment='GET /workspaces/{workspace_id}/courses'
    )
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_courses_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('courses_enrollments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('contact_id', sa.BigInteger(), nullable=True, comment='contact_id (integer)'),
    sa.Column('course_id', sa.BigInteger(), nullable=True, comment='course_id (integer)'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null(date-time))'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null(date-time))'),
    sa.Column('suspended', sa.Boolean(), nullable=True, comment='suspended (boolean|null)'),
    sa.Column('suspension_reason', sa.Text(), nullable=True, comment='suspension_reason (string|null)'),
    sa.Column('current_path', sa.Text(), nullable=True, comment='current_path (string|null)'),
    sa.Column('origination_source_type', sa.Text(), nullable=True, comment='origination_source_type (string|null)'),
    sa.Column('origination_source_id', sa.BigInteger(), nullable=True, comment='origination_source_id (integer)'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='added by cfsync from the list it came from'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courses_enrollments')),
    comment='GET /courses/{course_id}/enrollments'
    )
    with op.batch_alter_table('courses_enrollments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_courses_enrollments_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_courses_enrollments_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('forms',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='workspace_id (integer)'),
    sa.Column('name', sa.Text(), nullable=True, comment='name (string)'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null(date-time))'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null(date-time))'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forms')),
    comment='GET /workspaces/{workspace_id}/forms'
    )
    with op.batch_alter_table('forms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forms_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('forms_submissions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('form_id', sa.BigInteger(), nullable=True, comment='form_id (integer)'),
    sa.Column('contact_id', sa.BigInteger(), nullable=True, comment='contact_id (integer|null)'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null(date-time))'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null(date-time))'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='added by cfsync from the list it came from'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forms_submissions')),
    comment='GET /forms/{form_id}/submissions'
    )
    with op.batch_alter_table('forms_submissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forms_submissions_form_id'), ['form_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_forms_submissions_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('fulfillments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='workspace_id (integer)'),
    sa.Column('contact_id', sa.BigInteger(), nullable=True, comment='contact_id (integer)'),
    sa.Column('status', sa.Text(), nullable=True, comment='status (string enum[cancelled,fulfilled,restocked])'),
    sa.Column('tracking_url', sa.Text(), nullable=True, comment='tracking_url (string|null)'),
    sa.Column('shipping_provider', sa.Text(), nullable=True, comment='shipping_provider (string|null)'),
    sa.Column('tracking_code', sa.Text(), nullable=True, comment='tracking_code (string|null)'),
    sa.Column('location_id', sa.BigInteger(), nullable=True, comment='location_id (integer)'),
    sa.Column('fulfillment_number', sa.BigInteger(), nullable=True, comment='fulfillment_number (integer|null)'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null(date-time))'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null(date-time))'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fulfillments')),
    comment='GET /workspaces/{workspace_id}/fulfillments'
    )
    with op.batch_alter_table('fulfillments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fulfillments_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('fulfillments__included_invoices_line_items',
    sa.Column('fulfillment_id', sa.BigInteger(), nullable=False, comment='fulfillments.id'),
    sa.Column('_position', sa.Integer(), nullable=False, comment='position in included_invoices_line_items[]'),
    sa.Column('id', sa.BigInteger(), nullable=True, comment='included_invoices_line_items[].id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='included_invoices_line_items[].public_id (string|null)'),
    sa.Column('quantity', sa.BigInteger(), nullable=True, comment='included_invoices_line_items[].quantity (integer)'),
    sa.Column('invoices_line_item_id', sa.BigInteger(), nullable=True, comment='included_invoices_line_items[].invoices_line_item_id (integer)'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='added by cfsync'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('fulfillment_id', '_position', name=op.f('pk_fulfillments__included_invoices_line_items')),
    comment='fulfillments.included_invoices_line_items[]'
    )
    op.create_table('images',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('url', sa.Text(), nullable=True, comment='url (string)'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='workspace_id (integer)'),
    sa.Column('alt_text', sa.Text(), nullable=True, comment='alt_text (string|null)'),
    sa.Column('name', sa.Text(), nullable=True, comment='name (string|null)'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null(date-time))'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null(date-time))'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_images')),
    comment='GET /workspaces/{workspace_id}/images'
    )
    with op.batch_alter_table('images', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_images_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('orders',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('order_number', sa.Text(), nullable=True, comment='order_number (string|null)'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='workspace_id (integer)'),
    sa.Column('contact_id', sa.BigInteger(), nullable=True, comment='contact_id (integer)'),
    sa.Column('live_mode', sa.Boolean(), nullable=True, comment='live_mode (boolean|null)'),
    sa.Column('total_amount', cfsync.store.types.Money(), nullable=True, comment='total_amount (string|null)'),
    sa.Column('currency', sa.Text(), nullable=True, comment='currency (string)'),
    sa.Column('origination_channel_id', sa.BigInteger(), nullable=True, comment='origination_channel_id (integer)'),
    sa.Column('origination_channel_type', sa.Text(), nullable=True, comment='origination_channel_type (string|null)'),
    sa.Column('shipping_address_first_name', sa.Text(), nullable=True, comment='shipping_address_first_name (string|null)'),
    sa.Column('shipping_address_last_name', sa.Text(), nullable=True, comment='shipping_address_last_name (string|null)'),
    sa.Column('shipping_address_organization_name', sa.Text(), nullable=True, comment='shipping_address_organization_name (string|null)'),
    sa.Column('shipping_address_phone_number', sa.Text(), nullable=True, comment='shipping_address_phone_number (string|null)'),
    sa.Column('shipping_address_street_one', sa.Text(), nullable=True, comment='shipping_address_street_one (string|null)'),
    sa.Column('shipping_address_street_two', sa.Text(), nullable=True, comment='shipping_address_street_two (string|null)'),
    sa.Column('shipping_address_city', sa.Text(), nullable=True, comment='shipping_address_city (string|null)'),
    sa.Column('shipping_address_region', sa.Text(), nullable=True, comment='shipping_address_region (string|null)'),
    sa.Column('shipping_address_country', sa.Text(), nullable=True, comment='shipping_address_country (string|null)'),
    sa.Column('shipping_address_postal_code', sa.Text(), nullable=True, comment='shipping_address_postal_code (string|null)'),
    sa.Column('billing_address_street_one', sa.Text(), nullable=True, comment='billing_address_street_one (string|null)'),
    sa.Column('billing_address_street_two', sa.Text(), nullable=True, comment='billing_address_street_two (string|null)'),
    sa.Column('billing_address_city', sa.Text(), nullable=True, comment='billing_address_city (string|null)'),
    sa.Column('billing_address_region', sa.Text(), nullable=True, comment='billing_address_region (string|null)'),
    sa.Column('billing_address_country', sa.Text(), nullable=True, comment='billing_address_country (string|null)'),
    sa.Column('billing_address_postal_code', sa.Text(), nullable=True, comment='billing_address_postal_code (string|null)'),
    sa.Column('page_id', sa.BigInteger(), nullable=True, comment='page_id (integer|null)'),
    sa.Column('notes', sa.Text(), nullable=True, comment='notes (string|null)'),
    sa.Column('in_trial', sa.Boolean(), nullable=True, comment='in_trial (boolean|null)'),
    sa.Column('billing_status', sa.Text(), nullable=True, comment='billing_status (string|null)'),
    sa.Column('service_status', sa.Text(), nullable=True, comment='service_status (string|null)'),
    sa.Column('order_type', sa.Text(), nullable=True, comment='order_type (string|null)'),
    sa.Column('next_charge_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='next_charge_at (string|null)'),
    sa.Column('tax_amount', cfsync.store.types.Money(), nullable=True, comment='tax_amount (string|null)'),
    sa.Column('trial_end_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='trial_end_at (string|null)'),
    sa.Column('billing_payment_method_id', sa.Text(), nullable=True, comment='billing_payment_method_id (string|null)'),
    sa.Column('funnel_name', sa.Text(), nullable=True, comment='funnel_name (string|null)'),
    sa.Column('tag_ids', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='tag_ids (any[])'),
    sa.Column('discount_ids', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='discount_ids (any[])'),
    sa.Column('activated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='activated_at (string|null)'),
    sa.Column('workspace_sharing_id', sa.Text(), nullable=True, comment='workspace_sharing_id (string|null)'),
    sa.Column('canceled_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='canceled_at (string|null)'),
    sa.Column('canceled_by', sa.Text(), nullable=True, comment='canceled_by (string|null)'),
    sa.Column('cancel_reason', sa.Text(), nullable=True, comment='cancel_reason (string|null)'),
    sa.Column('cancel_description', sa.Text(), nullable=True, comment='cancel_description (string|null)'),
    sa.Column('churned_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='churned_at (string|null)'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null(date-time))'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null(date-time))'),
    sa.Column('external_id', sa.Text(), nullable=True, comment='external_id (string|null)'),
    sa.Column('payment_processor', sa.Text(), nullable=True, comment='payment_processor (string|null)'),
    sa.Column('phone_number', sa.Text(), nullable=True, comment='phone_number (string|null)'),
    sa.Column('page_name', sa.Text(), nullable=True, comment='page_name (string|null)'),
    sa.Column('origination_channel_name', sa.Text(), nullable=True, comment='origination_channel_name (string|null)'),
    sa.Column('order_page', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='order_page (object)'),
    sa.Column('contact', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='contact (object)'),
    sa.Column('workspace', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='workspace (object)'),
    sa.Column('previous_line_item', sa.Text(), nullable=True, comment='previous_line_item (string|null)'),
    sa.Column('affiliate', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='affiliate (object)'),
    sa.Column('referral_code', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='referral_code (object)'),
    sa.Column('visits', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='visits (object)'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders')),
    comment='GET /workspaces/{workspace_id}/orders'
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('orders__contact_groups',
    sa.Column('order_id', sa.BigInteger(), nullable=False, comment='orders.id'),
    sa.Column('_position', sa.Integer(), nullable=False, comment='position in contact_groups[]'),
    sa.Column('id', sa.BigInteger(), nullable=True, comment='contact_groups[].id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='contact_groups[].public_id (string|null)'),
    sa.Column('name', sa.Text(), nullable=True, comment='contact_groups[].name (string)'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='added by cfsync'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('order_id', '_position', name=op.f('pk_orders__contact_groups')),
    comment='orders.contact_groups[]'
    )
    op.create_table('orders__line_items',
    sa.Column('order_id', sa.BigInteger(), nullable=False, comment='orders.id'),
    sa.Column('_position', sa.Integer(), nullable=False, comment='position in line_items[]'),
    sa.Column('id', sa.BigInteger(), nullable=True, comment='line_items[].id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='line_items[].public_id (string|null)'),
    sa.Column('quantity', sa.BigInteger(), nullable=True, comment='line_items[].quantity (integer|null)'),
    sa.Column('prorated', sa.Text(), nullable=True, comment='line_items[].prorated (string|null)'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='line_items[].created_at (string|null)'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='line_items[].updated_at (string|null)'),
    sa.Column('original_product', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='line_items[].original_product (object)'),
    sa.Column('products_price', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='line_items[].products_price (object)'),
    sa.Column('products_variant', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='line_items[].products_variant (object)'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='added by cfsync'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('order_id', '_position', name=op.f('pk_orders__line_items')),
    comment='orders.line_items[]'
    )
    op.create_table('orders__segments',
    sa.Column('order_id', sa.BigInteger(), nullable=False, comment='orders.id'),
    sa.Column('_position', sa.Integer(), nullable=False, comment='position in segments[]'),
    sa.Column('id', sa.BigInteger(), nullable=True, comment='segments[].id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='segments[].public_id (string|null)'),
    sa.Column('name', sa.Text(), nullable=True, comment='segments[].name (string)'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='added by cfsync'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('order_id', '_position', name=op.f('pk_orders__segments')),
    comment='orders.segments[]'
    )
    op.create_table('products',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='workspace_id (integer)'),
    sa.Column('name', sa.Text(), nullable=True, comment='name (string)'),
    sa.Column('current_path', sa.Text(), nullable=True, comment='current_path (string|null)'),
    sa.Column('archived', sa.Boolean(), nullable=True, comment='archived (boolean|null)'),
    sa.Column('visible_in_store', sa.Boolean(), nullable=True, comment='visible_in_store (boolean|null)'),
    sa.Column('visible_in_customer_center', sa.Boolean(), nullable=True, comment='visible_in_customer_center (boolean|null)'),
    sa.Column('image_id', sa.Text(), nullable=True, comment='image_id (string|null)'),
    sa.Column('seo_title', sa.Text(), nullable=True, comment='seo_title (string|null)'),
    sa.Column('seo_description', sa.Text(), nullable=True, comment='seo_description (string|null)'),
    sa.Column('seo_image_id', sa.Text(), nullable=True, comment='seo_image_id (string|null)'),
    sa.Column('commissionable', sa.Boolean(), nullable=True, comment='commissionable (boolean|null)'),
    sa.Column('image_ids', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='image_ids (any[])'),
    sa.Column('default_variant_id', sa.BigInteger(), nullable=True, comment='default_variant_id (integer)'),
    sa.Column('variant_ids', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='variant_ids (any[])'),
    sa.Column('price_ids', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='price_ids (any[])'),
    sa.Column('tag_ids', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='tag_ids (any[])'),
    sa.Column('redirect_funnel_id', sa.Text(), nullable=True, comment='redirect_funnel_id (string|null)'),
    sa.Column('cancellation_funnel_url', sa.Text(), nullable=True, comment='cancellation_funnel_url (string|null)'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null(date-time))'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null(date-time))'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_products')),
    comment='GET /workspaces/{workspace_id}/products'
    )
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_products_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('products__variant_properties',
    sa.Column('product_id', sa.BigInteger(), nullable=False, comment='products.id'),
    sa.Column('_position', sa.Integer(), nullable=False, comment='position in variant_properties[]'),
    sa.Column('id', sa.BigInteger(), nullable=True, comment='variant_properties[].id (integer)'),
    sa.Column('name', sa.Text(), nullable=True, comment='variant_properties[].name (string)'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='added by cfsync'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('product_id', '_position', name=op.f('pk_products__variant_properties')),
    comment='products.variant_properties[]'
    )
    op.create_table('sync_runs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('started_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('status', sa.Text(), nullable=False, comment='running, succeeded, partial, failed'),
    sa.Column('full_refresh', sa.Boolean(), nullable=False),
    sa.Column('resources', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('requests', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('retries', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('rate_limited', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('partitions', sa.Integer(), server_default='0', nullable=False),
    sa.Column('failed_partitions', sa.Integer(), server_default='0', nullable=False),
    sa.Column('rows', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='{resource: {inserted, updated, rejected}}'),
    sa.Column('errors', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='[{partition, error}]'),
    sa.Column('pid', sa.Integer(), nullable=True),
    sa.Column('host', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_runs'))
    )
    op.create_table('sync_state',
    sa.Column('account', sa.Text(), nullable=False),
    sa.Column('resource', sa.Text(), nullable=False),
    sa.Column('workspace_id', sa.BigInteger(), nullable=False, comment='0 when not in a workspace'),
    sa.Column('parent_id', sa.BigInteger(), nullable=False, comment="id in the list's path; 0 for none"),
    sa.Column('cursor', sa.Text(), nullable=True, comment='`after` value: the last id stored'),
    sa.Column('rows', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('status', sa.Text(), server_default='new', nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('last_success_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('account', 'resource', 'workspace_id', 'parent_id', name=op.f('pk_sync_state')),
    comment='one row per partition: (account, workspace, resource, parent)'
    )
    op.create_table('teams',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('name', sa.Text(), nullable=True, comment='name (string)'),
    sa.Column('time_zone', sa.Text(), nullable=True, comment='time_zone (string|null)'),
    sa.Column('locale', sa.Text(), nullable=True, comment='locale (string enum[en,ja])'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null(date-time))'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null(date-time))'),
    sa.Column('_account', sa.Text(), nullable=True, comment='added by cfsync from the list it came from'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_teams')),
    comment='GET /teams'
    )
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_teams__account'), ['_account'], unique=False)

    op.create_table('webhooks_outgoing_endpoints',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('workspace_id', sa.BigInteger(), nullable=True, comment='workspace_id (integer)'),
    sa.Column('url', sa.Text(), nullable=True, comment='url (string)'),
    sa.Column('name', sa.Text(), nullable=True, comment='name (string)'),
    sa.Column('event_type_ids', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='event_type_ids (any[])'),
    sa.Column('api_version', sa.BigInteger(), nullable=True, comment='api_version (integer|null)'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null(date-time))'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null(date-time))'),
    sa.Column('page_ids', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='page_ids (any[])'),
    sa.Column('funnel_ids', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=True, comment='funnel_ids (any[])'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhooks_outgoing_endpoints')),
    comment='GET /workspaces/{workspace_id}/webhooks/outgoing/endpoints'
    )
    with op.batch_alter_table('webhooks_outgoing_endpoints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhooks_outgoing_endpoints_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('workspaces',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False, comment='id (integer)'),
    sa.Column('public_id', sa.Text(), nullable=True, comment='public_id (string|null)'),
    sa.Column('team_id', sa.BigInteger(), nullable=True, comment='team_id (integer)'),
    sa.Column('name', sa.Text(), nullable=True, comment='name (string)'),
    sa.Column('subdomain', sa.Text(), nullable=True, comment='subdomain (string)'),
    sa.Column('created_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='created_at (string|null(date-time))'),
    sa.Column('updated_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='updated_at (string|null(date-time))'),
    sa.Column('_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False, comment='the record as the API sent it'),
    sa.Column('_synced_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=False, comment='when cfsync last wrote this row'),
    sa.Column('_deleted_at', cfsync.store.types.UtcDateTime(timezone=True), nullable=True, comment='when cfsync saw the record gone'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workspaces')),
    comment='GET /teams/{team_id}/workspaces'
    )
    with op.batch_alter_table('workspaces', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workspaces_team_id'), ['team_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('workspaces', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_workspaces_team_id'))

    op.drop_table('workspaces')
    with op.batch_alter_table('webhooks_outgoing_endpoints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhooks_outgoing_endpoints_workspace_id'))

    op.drop_table('webhooks_outgoing_endpoints')
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_teams__account'))

    op.drop_table('teams')
    op.drop_table('sync_state')
    op.drop_table('sync_runs')
    op.drop_table('products__variant_properties')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_products_workspace_id'))

    op.drop_table('products')
    op.drop_table('orders__segments')
    op.drop_table('orders__line_items')
    op.drop_table('orders__contact_groups')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_workspace_id'))

    op.drop_table('orders')
    with op.batch_alter_table('images', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_images_workspace_id'))

    op.drop_table('images')
    op.drop_table('fulfillments__included_invoices_line_items')
    with op.batch_alter_table('fulfillments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fulfillments_workspace_id'))

    op.drop_table('fulfillments')
    with op.batch_alter_table('forms_submissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_forms_submissions_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_forms_submissions_form_id'))

    op.drop_table('forms_submissions')
    with op.batch_alter_table('forms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_forms_workspace_id'))

    op.drop_table('forms')
    with op.batch_alter_table('courses_enrollments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_courses_enrollments_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_courses_enrollments_course_id'))

    op.drop_table('courses_enrollments')
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_courses_workspace_id'))

    op.drop_table('courses')
    op.drop_table('contacts__tags')
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contacts_workspace_id'))

    op.drop_table('contacts')
    op.drop_table('_rejects')

