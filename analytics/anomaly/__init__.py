"""Automatic anomaly detectors for metric series: a learned expected band and Seasonal Hybrid ESD.

Both take a pandas Series with a DatetimeIndex and need no threshold from the user.
"""

from analytics.anomaly.band import BandVerdict
from analytics.anomaly.band import evaluate_latest
from analytics.anomaly.band import expected_band
from analytics.anomaly.shesd import shesd
from analytics.anomaly.shesd import shesd_flags

__all__ = ["BandVerdict", "evaluate_latest", "expected_band", "shesd", "shesd_flags"]
