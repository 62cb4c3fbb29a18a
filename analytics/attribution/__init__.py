"""Multi-touch attribution: journeys, rule-based models, Markov removal effects, Shapley."""

from analytics.attribution.models import MODELS
from analytics.attribution.models import attribute
from analytics.attribution.models import compare_models
from analytics.attribution.paths import PathTable
from analytics.attribution.paths import path_table
from analytics.attribution.paths import read_paths
from analytics.attribution.paths import top_paths

__all__ = [
    "MODELS",
    "PathTable",
    "attribute",
    "compare_models",
    "path_table",
    "read_paths",
    "top_paths",
]
