"""A page's heading: its title and, under it, the line saying what the page shows."""

from __future__ import annotations

from dash import html


def page_heading(title: str, intro=None, **intro_props) -> list:
    """The title (``h4``) and, when given, ``intro`` in small grey text (``intro_props`` give it
    an id)."""
    heading = [html.H2(title, className="h4")]
    if intro is not None:
        heading.append(html.P(intro, className="text-secondary small", **intro_props))
    return heading
