"""`channelperf channels …`: the channel taxonomy (categories and their touchpoints) as data."""

from __future__ import annotations

import typer
from rich.table import Table

from analytics.errors import AnalyticsError
from analytics.taxonomy import (
    ChannelInfo,
    add_category,
    add_touchpoint,
    list_channels,
)
from cli.common import ACTOR, console, failing_on

app = typer.Typer(name="channels", help="Channel categories and touchpoints.", no_args_is_help=True)


def _said(info: ChannelInfo, what: str) -> None:
    where = f" in {info.category}" if info.category else ""
    console.print(f"{info.kind.capitalize()} {info.code} ({info.name}){where} {what}.")


@app.command("list")
def channels_list(
    all_: bool = typer.Option(False, "--all", help="Retired channels too"),
) -> None:
    """Every category and its touchpoints."""
    table = Table("category", "touchpoint", "name", "conversion basis", "status")
    for c in list_channels(include_retired=all_):
        table.add_row(
            c.code if c.kind == "category" else "",
            c.code if c.kind == "touchpoint" else "",
            c.name,
            c.conversion_basis or "",
            "retired" if c.retired else "active",
        )
    console.print(table)


@app.command("add-category")
def channels_add_category(
    code: str = typer.Argument(..., help="Lowercase slug, e.g. travel_agents"),
    name: str = typer.Option(..., help="Display name, e.g. 'Travel agents'"),
) -> None:
    """Add a channel category."""
    with failing_on(AnalyticsError):
        _said(add_category(code, name, actor=ACTOR), "added")


@app.command("add")
def channels_add(
    code: str = typer.Argument(..., help="Lowercase slug, e.g. agent_portal"),
    name: str = typer.Option(..., help="Display name"),
    category: str = typer.Option(..., help="Code of its category"),
    conversion_basis: str = typer.Option(
        "sessions", help="What its conversion rate divides by: sessions | footfall | opportunities"
    ),
) -> None:
    """Add a touchpoint to a category."""
    with failing_on(AnalyticsError):
        info = add_touchpoint(code, name, category, actor=ACTOR, conversion_basis=conversion_basis)
    _said(info, "added")
