"""daily_basket_rollup: the product rollup summed per product category, filled from it"""

import sqlalchemy as sa
from alembic import op

from db.migrations.helpers import keyed
from db.migrations.helpers import product_measures

revision = "0009"
down_revision = "0002"
branch_labels = ("basket_rollup",)
depends_on = "0001"


def upgrade() -> None:
    op.create_table(
        "daily_basket_rollup",
        sa.Column("day", sa.Date(), primary_key=True),
        *keyed(sa.Integer(), "touchpoint_id", "region_id", "location_id"),
        sa.Column("product_category", sa.String(80), primary_key=True),
        *product_measures(),
    )
    op.execute(
        """
        INSERT INTO daily_basket_rollup
        SELECT r.day, r.touchpoint_id, r.region_id, r.location_id, coalesce(p.category, ''),
               sum(r.lines), sum(r.units), sum(r.revenue), sum(r.cost)
        FROM daily_product_rollup r JOIN product p ON p.id = r.product_id
        GROUP BY r.day, r.touchpoint_id, r.region_id, r.location_id, coalesce(p.category, '')
        """
    )


def downgrade() -> None:
    op.drop_table("daily_basket_rollup")
