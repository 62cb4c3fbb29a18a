"""The Dash app: app factory, authentication and roles, pages, components."""
