"""`channelperf channels …`: the channel taxonomy (categories and their touchpoints) as data."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.progress import BarColumn
from rich.progress import Progress
from rich.progress import TextColumn

from analytics.channel_move import STEPS
from analytics.channel_move import move_touchpoint
from analytics.errors import AnalyticsError
from analytics.taxonomy import ChannelInfo
from analytics.taxonomy import add_category
from analytics.taxonomy import add_touchpoint
from analytics.taxonomy import delete_channel
from analytics.taxonomy import list_channels
from analytics.taxonomy import rename_channel
from analytics.taxonomy import restore_channel
from analytics.taxonomy import retire_channel
from analytics.taxonomy import retirement_note
from cli.common import ACTOR
from cli.common import PlainTable
from cli.common import console
from cli.common import failing_on

app = typer.Typer(name="channels", help="Channel categories and touchpoints.", no_args_is_help=True)


KIND = typer.Option(None, help="category | touchpoint, when a category and a touchpoint share it")


def _said(info: ChannelInfo, what: str) -> None:
    where = f" in {info.category}" if info.category else ""
    said = f"{info.kind.capitalize()} {info.code} ({info.name}){where} {what}."
    console.print(escape(said))


@app.command("list")
def channels_list(
    all_: bool = typer.Option(False, "--all", help="Retired channels too"),
) -> None:
    """Every category and its touchpoints."""
    table = PlainTable("category", "touchpoint", "name", "conversion basis", "status")
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


@app.command("rename")
def channels_rename(
    code: str, name: str = typer.Option(..., help="The new display name"), kind: str = KIND
) -> None:
    """Give a category or touchpoint a new display name (its code stays)."""
    with failing_on(AnalyticsError):
        _said(rename_channel(code, name, actor=ACTOR, kind=kind), "renamed")


@app.command("move")
def channels_move(
    code: str, category: str = typer.Option(..., help="Code of the category to move it to")
) -> None:
    """Move a touchpoint to another category (its history follows it)."""
    with (
        failing_on(AnalyticsError),
        Progress(
            TextColumn("{task.description}"), BarColumn(), console=console, transient=True
        ) as bar,
    ):
        task = bar.add_task(STEPS[0], total=len(STEPS))

        def advance(step: int, label: str) -> None:
            bar.update(task, completed=step, description=label)

        result = move_touchpoint(code, category, actor=ACTOR, progress=advance)
        bar.update(task, completed=len(STEPS))
    console.print(escape(result.summary))


@app.command("retire")
def channels_retire(code: str, kind: str = KIND) -> None:
    """Hide a channel from pickers and new rules; its history still counts."""
    with failing_on(AnalyticsError):
        info = retire_channel(code, actor=ACTOR, kind=kind)
        _said(info, "retired")
        note = retirement_note(info.code, info.kind)
        if note:
            console.print(escape(note))


@app.command("restore")
def channels_restore(code: str, kind: str = KIND) -> None:
    """Bring a retired channel back."""
    with failing_on(AnalyticsError):
        _said(restore_channel(code, actor=ACTOR, kind=kind), "restored")


@app.command("delete")
def channels_delete(code: str, kind: str = KIND) -> None:
    """Delete a channel nothing refers to (one added by mistake); one in use is refused."""
    with failing_on(AnalyticsError):
        _said(delete_channel(code, actor=ACTOR, kind=kind), "deleted")
