"""Add the platform frame origins

Revision ID: 5f3a9c2d7e41
Revises: c532f9fd398c
Create Date: 2026-12-04 23:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5f3a9c2d7e41'
down_revision = 'c532f9fd398c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('platform', schema=None) as batch_op:
        batch_op.add_column(sa.Column('frame_origins', sa.String(length=2000), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('platform', schema=None) as batch_op:
        batch_op.drop_column('frame_origins')
