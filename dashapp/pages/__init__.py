"""The pages, one module each, registered through ``dashapp.access.register_page``.

``ADMIN`` is what every admin page registers with: admins only, under the navigation's
Admin menu. ``PLANNING`` is the planners' pages' (forecasts, stock, attribution, pricing,
budget): planners and up, under the Planning menu.
"""

from dashapp.access import at_least

ADMIN = {"roles": frozenset({"admin"}), "section": "Admin"}
PLANNING = {"roles": at_least("planner"), "section": "Planning"}
