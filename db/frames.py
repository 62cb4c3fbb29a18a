"""Query results as pandas frames."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection
from sqlalchemy import Executable


def read_frame(conn: Connection, statement: Executable) -> pd.DataFrame:
    """The statement's rows as a frame whose columns are the result's column names.

    The rows reach pandas as plain tuples: given SQLAlchemy ``Row`` objects, pandas probes
    each one for namedtuple fields through a failing attribute lookup per column, which
    costs more than a rollup query itself.
    """
    result = conn.execute(statement)
    return pd.DataFrame(list(map(tuple, result.all())), columns=list(result.keys()))
