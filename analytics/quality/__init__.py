"""Daily data integrity: frame checks (pandera) and cross-table checks (SQL), stored per run."""
