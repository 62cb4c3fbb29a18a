"""Domain logic over rollups: metrics, comparisons, variance, trends, alerts. No Dash here.

Text columns are plain Python objects in every process that imports analytics, as before
pandas 3: its Arrow-backed ``str`` dtype pays a fixed cost per operation (take, factorize,
map, astype) that dominates on frames this small (a page's rollup reads are some thousands
of rows at most). The pages' cold data callbacks took about 30 % longer with it
(bench/bench_pages.py). The option is deprecated for pandas 4, which pyproject.toml does not
admit.
"""

import warnings

import pandas as pd
from pandas.errors import Pandas4Warning

with warnings.catch_warnings():
    warnings.simplefilter("ignore", Pandas4Warning)
    pd.set_option("future.infer_string", False)
