"""Column types and column groups that more than one migration declares.

A released migration's DDL never changes: a helper here always gives what it gave, and a
migration that wants another shape gets another helper.
"""

import sqlalchemy as sa
from alembic import op

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
"""A 64-bit surrogate key (SQLite's own integer key, so that it still auto-increments)."""
TIMESTAMP = sa.DateTime(timezone=True)
MONEY = sa.Numeric(precision=18, scale=2)


def required(type_, *names: str) -> list[sa.Column]:
    """NOT NULL columns of one type, in order."""
    return [sa.Column(name, type_, nullable=False) for name in names]


def keyed(type_, *names: str) -> list[sa.Column]:
    """Primary-key columns of one type, in order."""
    return [sa.Column(name, type_, primary_key=True) for name in names]


def created(name: str) -> sa.Column:
    """A NOT NULL timestamp the database sets to ``CURRENT_TIMESTAMP``."""
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        server_default=sa.text("(CURRENT_TIMESTAMP)"),
        nullable=False,
    )


def stamped_now(name: str) -> sa.Column:
    """A NOT NULL timestamp the database sets to ``now()``."""
    return sa.Column(name, TIMESTAMP, server_default=sa.func.now(), nullable=False)


def refers(column: str, target: str, **options) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [target], **options)


def source_origin() -> list[sa.Column]:
    """Which source a row came from: its system (shopify, sap …) and instance."""
    return [
        sa.Column("source_system", sa.String(length=40), nullable=False),
        sa.Column("source_instance", sa.String(length=80), nullable=False),
    ]


def product_measures() -> list[sa.Column]:
    """The measures of the product and basket rollups."""
    return [*required(sa.Integer(), "lines", "units"), *required(MONEY, "revenue", "cost")]


def on_postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"
