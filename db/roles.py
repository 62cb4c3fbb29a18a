"""The roles, once: their order (each role can do what the ones before it can), and the actor
every command checks before it changes anything."""

from __future__ import annotations

from dataclasses import dataclass

from db.errors import CommandError

ROLES = ("executive", "planner", "data_scientist", "admin")
ROLE_LABELS = {role: role.replace("_", " ").capitalize() for role in ROLES}


def at_least(role: str) -> frozenset[str]:
    """Roles from ``role`` upwards in the cumulative matrix of DESIGN.md."""
    return frozenset(ROLES[ROLES.index(role) :])


class PermissionDenied(CommandError):
    """The acting user's role may not make this change."""


@dataclass(frozen=True)
class Actor:
    """Who makes a change: the name written to the audit log and the role that is checked.

    Commands run from the shell or by the scheduler act as :func:`system` actors: whoever
    can run them already holds the database's credentials.
    """

    name: str
    role: str

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"an actor needs a name, got {self.name!r}")
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}; roles are {', '.join(ROLES)}")

    def require(self, minimum: str, what: str) -> None:
        """Refuse (``PermissionDenied``) unless the actor's role is ``minimum`` or above;
        the first thing a command does, before it reads or writes anything."""
        if self.role not in at_least(minimum):
            raise PermissionDenied(f"the {self.role} role may not {what}")


def system(name: str = "cli") -> Actor:
    return Actor(name, "admin")
