"""Who may see what: the one mechanism every page registers with.

A page registers its path, its role set and its component-id prefix. The
server then refuses (403) a request for a page outside the user's roles, and
any callback whose outputs belong to such a page, before the callback runs.
Hiding a link is not access control.
"""

from __future__ import annotations

from collections.abc import Iterable

import dash

from db.roles import ROLE_LABELS as ROLE_LABELS
from db.roles import ROLES
from db.roles import at_least as at_least

ROLE_ORDER = ROLES


def register_page(
    module: str,
    *,
    path: str,
    title: str,
    prefix: str,
    roles: Iterable[str],
    order: int,
    section: str = "Analytics",
    **kwargs,
) -> None:
    """``dash.register_page`` plus the roles and the id prefix the guard checks."""
    dash.register_page(
        module,
        path=path,
        title=f"{title} · Channel Performance",
        name=title,
        order=order,
        roles=tuple(sorted(roles)),
        id_prefix=prefix,
        section=section,
        **kwargs,
    )


def _pages() -> list[dict]:
    return [p for p in dash.page_registry.values() if "id_prefix" in p]


def page_for_path(pathname: str | None) -> dict | None:
    if pathname is None:
        return None
    path = "/" + pathname.strip("/")
    for page in _pages():
        if page["path"] == path:
            return page
    return None


def page_for_component(component: str | dict) -> dict | None:
    """The page owning a component id (string ids, or the ``type`` of pattern-matching ids)."""
    name = component.get("type", "") if isinstance(component, dict) else component
    best = None
    for page in _pages():
        prefix = page["id_prefix"] + "-"
        if str(name).startswith(prefix) and (
            best is None or len(prefix) > len(best["id_prefix"]) + 1
        ):
            best = page
    return best


def allowed(page: dict | None, role: str | None) -> bool:
    """Pages not registered here (e.g. the 404 page) are open to any signed-in user."""
    return page is None or (role is not None and role in page["roles"])


def pages_for(role: str) -> list[dict]:
    return sorted((p for p in _pages() if role in p["roles"]), key=lambda p: p["order"])
