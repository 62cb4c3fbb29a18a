"""Finding a component in a page's layout as Dash builds it (component objects, not JSON)."""

from __future__ import annotations


def component_in(tree, component_id: str):
    """The component with ``component_id`` in ``tree``, depth first; None if there is none."""
    if getattr(tree, "id", None) == component_id:
        return tree
    children = getattr(tree, "children", None)
    for child in children if isinstance(children, list | tuple) else [children]:
        found = component_in(child, component_id) if child is not None else None
        if found is not None:
            return found
    return None
