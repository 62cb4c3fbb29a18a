"""Reusable layout pieces: the shell, KPI cards, filters, chart builders."""
