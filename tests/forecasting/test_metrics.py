import math

import numpy as np
import pytest

from forecasting import metrics

TRAIN = [10, 12, 14, 11, 13, 15, 20, 12, 13, 15, 10, 14, 16, 22]
ACTUAL = [11, 14, 16, 12]
FORECAST = [12, 13, 18, 12]


def test_mase_against_hand_computation():
    # seasonal (7) naive errors in-sample: |12-10|,|13-12|,|15-14|,|10-11|,|14-13|,|16-15|,|22-20|
    scale = (2 + 1 + 1 + 1 + 1 + 1 + 2) / 7
    mae = (1 + 1 + 2 + 0) / 4
    assert metrics.mase(ACTUAL, FORECAST, TRAIN) == pytest.approx(mae / scale)
    assert metrics.mase(ACTUAL, FORECAST, TRAIN) == pytest.approx(1.0 / (9 / 7))


def test_mase_of_a_perfectly_periodic_history():
    periodic = [1, 2, 3, 4, 5, 6, 7] * 3
    assert metrics.mase([1, 2], [1, 2], periodic) == 0.0
    assert math.isinf(metrics.mase([1, 2], [1, 3], periodic))


def test_wape_bias_coverage_against_hand_computation():
    assert metrics.wape(ACTUAL, FORECAST) == pytest.approx(4 / 53)
    # errors forecast - actual: +1, -1, +2, 0 → mean 0.5; mean actual 53/4
    assert metrics.bias(ACTUAL, FORECAST) == pytest.approx(0.5 / (53 / 4))
    lower = [10, 14.5, 15, 12]
    upper = [11, 15, 16, 13]
    # inside: 11 in [10,11] yes; 14 in [14.5,15] no; 16 in [15,16] yes; 12 in [12,13] yes
    assert metrics.coverage(ACTUAL, lower, upper) == pytest.approx(0.75)


def test_undefined_and_mismatched_inputs():
    assert np.isnan(metrics.wape([0, 0], [1, 2]))
    assert np.isnan(metrics.bias([1, -1], [1, 2]))
    with pytest.raises(metrics.ForecastingError):
        metrics.wape([1, 2], [1])
    with pytest.raises(metrics.ForecastingError):
        metrics.mase([1], [1], [1, 2, 3])
