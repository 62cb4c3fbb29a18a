"""The pages, one module each, registered through ``dashapp.access.register_page``.

``ADMIN`` is what every admin page registers with: admins only, under the navigation's
Admin menu.
"""

ADMIN = {"roles": frozenset({"admin"}), "section": "Admin"}
