"""pass@k against values computed by hand from 1 - C(n-c, k) / C(n, k), and exact integers."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from pipeline.eval import mean_pass_at_k, pass_at_k


@pytest.mark.parametrize(
    "n, c, k, expected",
    [
        (1, 1, 1, 1.0),
        (1, 0, 1, 0.0),
        (5, 2, 1, 2 / 5),  # pass@1 is the share of correct samples
        (5, 2, 2, 1 - 3 / 10),  # C(3,2)=3, C(5,2)=10
        (10, 3, 5, 1 - 21 / 252),  # C(7,5)=21, C(10,5)=252
        (4, 0, 2, 0.0),
        (4, 3, 2, 1.0),  # n - c < k: every draw of two holds a correct one
        (200, 1, 100, 0.5),  # C(199,100)/C(200,100) = 100/200
        (200, 2, 1, 0.01),
        (20, 20, 10, 1.0),
    ],
)
def test_pass_at_k_hand_computed(n, c, k, expected):
    assert pass_at_k(n, c, k) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("n, c, k", [(1000, 500, 100), (500, 3, 250), (300, 299, 1), (64, 7, 10)])
def test_pass_at_k_stable_for_large_n(n, c, k):
    exact = 1 - Fraction(math.comb(n - c, k), math.comb(n, k))
    assert pass_at_k(n, c, k) == pytest.approx(float(exact), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("n, c, k", [(5, 6, 1), (5, -1, 1), (5, 2, 0), (5, 2, 6)])
def test_pass_at_k_refuses_impossible_counts(n, c, k):
    with pytest.raises(ValueError):
        pass_at_k(n, c, k)


def test_mean_over_problems():
    assert mean_pass_at_k([(5, 2), (5, 0), (5, 5)], 1) == pytest.approx((0.4 + 0 + 1) / 3)
    assert mean_pass_at_k([(5, 2), (5, 0)], 2) == pytest.approx((0.7 + 0) / 2)
    assert mean_pass_at_k([(5, 2), (1, 1)], 2) is None  # a problem with n < k: undefined
    assert mean_pass_at_k([], 1) is None
