"""daily_channel_basket_rollup: the basket rollup summed over regions and locations, filled
from it
"""

import sqlalchemy as sa
from alembic import op

from db.migrations.helpers import product_measures

revision = "0012"
down_revision = "0009"


def upgrade() -> None:
    op.create_table(
        "daily_channel_basket_rollup",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("touchpoint_id", sa.Integer(), primary_key=True),
        sa.Column("product_category", sa.String(80), primary_key=True),
        *product_measures(),
    )
    op.execute(
        """
        INSERT INTO daily_channel_basket_rollup
        SELECT day, touchpoint_id, product_category, sum(lines), sum(units), sum(revenue),
               sum(cost)
        FROM daily_basket_rollup
        GROUP BY day, touchpoint_id, product_category
        """
    )


def downgrade() -> None:
    op.drop_table("daily_channel_basket_rollup")
