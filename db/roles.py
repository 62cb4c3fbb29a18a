"""The roles, lowest first: each role may do everything the roles before it may (DESIGN.md)."""

from __future__ import annotations

ROLES = ("executive", "planner", "data_scientist", "admin")


def at_least(role: str) -> frozenset[str]:
    """``role`` and every role above it."""
    return frozenset(ROLES[ROLES.index(role) :])
