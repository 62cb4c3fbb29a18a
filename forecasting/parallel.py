"""Fitting models side by side in worker processes: a spawn-started pool (a fork after a
Prophet or LightGBM fit can hang), kept for the life of the process once started.

``CHANNELPERF_FORECAST_WORKERS`` sets the default size (1: everything runs in this process).

Fits run with one BLAS thread (in the workers and in this process): the statsmodels fits
multiply small matrices thousands of times, and OpenBLAS's threads cost more to wake than
they save there; beside a second busy process on 2 cores, ARIMA and ETS fits ran 7–8 times
slower with them. A limit reaches only the libraries loaded when it is set, so this module
loads numpy's and scipy's first.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import pickle
from collections.abc import Callable
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor

import numpy  # noqa: F401  (loads numpy's BLAS before the limit is set)
import scipy.linalg  # noqa: F401  (and scipy's, which the statsmodels fits call)
from threadpoolctl import threadpool_limits

_pools: dict[int, ProcessPoolExecutor] = {}


def default_workers() -> int:
    return max(1, int(os.environ.get("CHANNELPERF_FORECAST_WORKERS", "1")))


def _one_blas_thread() -> None:
    threadpool_limits(limits=1, user_api="blas")


def _pool(workers: int) -> ProcessPoolExecutor:
    if workers not in _pools:
        context = multiprocessing.get_context("spawn")
        _pools[workers] = ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_one_blas_thread
        )
    return _pools[workers]


def shutdown() -> None:
    for pool in _pools.values():
        pool.shutdown(cancel_futures=True)
    _pools.clear()


atexit.register(shutdown)


def _picklable(value) -> bool:
    try:
        pickle.dumps(value)
    except (pickle.PicklingError, AttributeError, TypeError):
        return False
    return True


def run_all(function: Callable, tasks: Iterable[tuple], workers: int | None = None) -> list:
    """``[function(*task) for task in tasks]``, on ``workers`` processes when there are more
    than one and the tasks can be sent to them (a lambda factory cannot: then in-process)."""
    tasks = list(tasks)
    workers = default_workers() if workers is None else workers
    if workers <= 1 or len(tasks) <= 1 or not _picklable((function, tasks[0])):
        with threadpool_limits(limits=1, user_api="blas"):
            return [function(*task) for task in tasks]
    return list(_pool(workers).map(function, *zip(*tasks, strict=True)))
