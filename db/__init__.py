"""Database layer: settings, engine and session scope, schema, migrations, rollups."""
