"""Ingestion: canonical model, connectors, channel mapping, loader, demo data."""
