"""Judging a ``/_dash-update-component`` request by the callback Dash will actually run.

Dash picks the callback by the body's ``output`` key and hands the function its
inputs and state *by position*; it never checks the ids the body sends with
them. So the guard resolves the callback the same way, then refuses a request
whose outputs, inputs or state differ from what that callback registered (ids,
properties and order) or carry a value no component sends (``callback_values``), and
judges the role by the pages owning the callback's registered ids, never by what the
body claims. The routing callback's path is read from the position Dash passes to the
router.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from dash._utils import stringify_id

from dashapp.access import allowed
from dashapp.access import page_for_component
from dashapp.access import page_for_path
from dashapp.callback_values import fits

ROUTER_OUTPUT = "_pages_content"
ROUTER_LOCATION = "_pages_location"
WILDCARDS = (["ALL"], ["MATCH"], ["ALLSMALLER"])
MULTI_WILDCARDS = (["ALL"], ["ALLSMALLER"])
SCALARS = (str, int, float, bool)


class Refused(Exception):
    """A callback request the guard turns away: ``status`` 400 (malformed) or 403."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Dependency:
    """One registered id (a string, or a dict whose wildcard values are ``["ALL"]`` …)."""

    id: str | dict
    property: str

    @classmethod
    def of(cls, component_id: Any, prop: str) -> Dependency:
        text = stringify_id(component_id)
        return cls(json.loads(text) if text.startswith("{") else text, prop.split("@")[0])

    @property
    def expands(self) -> bool:
        """ALL / ALLSMALLER ids arrive as a list of concrete ids."""
        return isinstance(self.id, dict) and any(v in MULTI_WILDCARDS for v in self.id.values())


@dataclass(frozen=True)
class CallbackSpec:
    key: str
    outputs: tuple[Dependency, ...]
    single_output: bool
    inputs: tuple[Dependency, ...]
    state: tuple[Dependency, ...]

    @property
    def is_router(self) -> bool:
        return any(d.id == ROUTER_OUTPUT for d in self.outputs)

    def pages(self) -> list[dict | None]:
        """The registered pages owning any of the callback's ids (None: an id no page owns)."""
        ids = [d.id for d in (*self.outputs, *self.inputs, *self.state)]
        return [page_for_component(i) for i in ids]


def _spec(key: str, registered: dict) -> CallbackSpec:
    output = registered["output"]
    outputs = output if isinstance(output, (list, tuple)) else [output]
    if registered.get("no_output"):
        outputs = []
    return CallbackSpec(
        key=key,
        outputs=tuple(Dependency.of(o.component_id, o.component_property) for o in outputs),
        single_output=not isinstance(output, (list, tuple)) and not registered.get("no_output"),
        inputs=tuple(Dependency.of(d["id"], d["property"]) for d in registered["inputs"]),
        state=tuple(Dependency.of(d["id"], d["property"]) for d in registered["state"]),
    )


def spec_for(callback_map: dict, key: str) -> CallbackSpec:
    registered = callback_map.get(key)
    if registered is None or "callback" not in registered:
        # Clientside callbacks are registered too, with no server function to run.
        raise Refused(400, "no such callback")
    return _spec(key, registered)


def _same_id(registered: str | dict, sent: Any) -> bool:
    if isinstance(registered, str):
        return sent == registered
    if not isinstance(sent, dict) or set(sent) != set(registered):
        return False
    for name, value in registered.items():
        if value in WILDCARDS:
            if not isinstance(sent[name], SCALARS):
                return False
        elif sent[name] != value:
            return False
    return True


def _matches(dependency: Dependency, sent: Any) -> bool:
    items = sent if dependency.expands else [sent]
    if dependency.expands and not isinstance(sent, list):
        return False
    for item in items:
        if not isinstance(item, dict) or item.get("property") != dependency.property:
            return False
        if not _same_id(dependency.id, item.get("id")):
            return False
    return True


def _check_list(name: str, registered: tuple[Dependency, ...], sent: Any) -> None:
    if not isinstance(sent, list):
        raise Refused(400, f"{name} must be a list")
    if len(sent) != len(registered):
        raise Refused(403, f"{name} do not match the callback")
    for dependency, item in zip(registered, sent, strict=True):
        if not _matches(dependency, item):
            raise Refused(403, f"{name} do not match the callback")


def _check_values(name: str, registered: tuple[Dependency, ...], sent: list) -> None:
    for dependency, item in zip(registered, sent, strict=True):
        for one in item if dependency.expands else [item]:
            if not fits(dependency.id, dependency.property, one.get("value")):
                raise Refused(400, f"{name}: no component sends that {dependency.property}")


def _prop_ids(items: list) -> set[str]:
    ids = set()
    for item in items:
        for one in item if isinstance(item, list) else [item]:
            ids.add(f"{stringify_id(one['id'])}.{one['property']}")
    return ids


def check_shape(spec: CallbackSpec, body: dict) -> None:
    """Refuse a body that differs from the registered callback in any id, property or order."""
    if spec.outputs:
        if "outputs" not in body:
            raise Refused(403, "outputs are missing")
        outputs = body["outputs"]
        if spec.single_output:
            if isinstance(outputs, list) and not spec.outputs[0].expands:
                raise Refused(403, "outputs do not match the callback")
            outputs = [outputs]
        _check_list("outputs", spec.outputs, outputs)
    _check_list("inputs", spec.inputs, body.get("inputs"))
    _check_list("state", spec.state, body.get("state", []))
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        raise Refused(400, "changedPropIds must be a list of strings")
    if not set(changed) <= _prop_ids(body["inputs"]):
        raise Refused(403, "changedPropIds name inputs the callback does not have")


def router_path(spec: CallbackSpec, body: dict) -> str | None:
    """The path Dash hands the router: the value at the registered pathname input's position."""
    for position, dependency in enumerate(spec.inputs):
        if dependency.id == ROUTER_LOCATION and dependency.property == "pathname":
            value = body["inputs"][position].get("value")
            return value if isinstance(value, str) or value is None else ""
    return None


def judge(callback_map: dict, body: Any, role: str | None) -> tuple[CallbackSpec, dict | None]:
    """The callback a request runs, after checking its shape, the role's pages and its values.

    Returns the spec and, for the router, the page its path opens when the role may not
    open it (the caller answers with the in-app "no access" page instead of running it).
    Raises :class:`Refused` otherwise.
    """
    if not isinstance(body, dict):
        raise Refused(400, "the body must be a JSON object")
    key = body.get("output")
    if not isinstance(key, str):
        raise Refused(400, "output must be a string")
    spec = spec_for(callback_map, key)
    check_shape(spec, body)
    for page in spec.pages():
        if not allowed(page, role):
            raise Refused(403, f"the {role} role may not use {page['name']}")
    _check_values("inputs", spec.inputs, body["inputs"])
    _check_values("state", spec.state, body.get("state", []))
    if spec.is_router:
        page = page_for_path(router_path(spec, body))
        if not allowed(page, role):
            return spec, page
    return spec, None
