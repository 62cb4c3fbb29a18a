"""Multi-touch attribution: journeys, rule-based models, Markov removal effects, Shapley."""

from analytics.attribution.models import MODELS, attribute, compare_models
from analytics.attribution.paths import PathTable, path_table, read_paths, top_paths

__all__ = [
    "MODELS",
    "PathTable",
    "attribute",
    "compare_models",
    "path_table",
    "read_paths",
    "top_paths",
]
