"""Deterministic demo data for a multi-channel retailer, streamed in chunks of days."""

from ingestion.demo.generator import DemoChunk
from ingestion.demo.generator import generate
from ingestion.demo.profiles import INJECTED_ANOMALIES
from ingestion.demo.profiles import TRENDS
from ingestion.demo.profiles import injected_anomalies
from ingestion.demo.reference import ReferenceData
from ingestion.demo.reference import reference_data
from ingestion.demo.targets import generate_targets

__all__ = [
    "INJECTED_ANOMALIES",
    "TRENDS",
    "DemoChunk",
    "ReferenceData",
    "generate",
    "generate_targets",
    "injected_anomalies",
    "reference_data",
]
