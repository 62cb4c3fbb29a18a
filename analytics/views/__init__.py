"""One module per analysis page: ``build_<page>(...) -> <Page>View``, the data the page renders.

A view builder takes plain arguments (period, level, filters), reads through the analytics
functions (memoised, rollups read side by side) and returns a frozen dataclass; the page only
lays it out. No Dash here.
"""
