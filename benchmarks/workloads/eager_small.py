"""`eager_small`: `funcgrad.numpy` outside any transform on 10-element
float64 arrays, against the same numpy call.

At this size numpy's own work is a few hundred nanoseconds, so the ratio is
funcgrad's dispatch cost: checking that nothing is traced, and turning
numpy's 0-d results into arrays.
"""

from __future__ import annotations

import numpy as np

import funcgrad.numpy as fnp
from benchmarks._harness import Row, Settings, compare, measure, workload

TARGET = 2.0  # funcgrad's time / numpy's time, per call

# Each case is a call written once with `xp` standing for the module, so
# that funcgrad and numpy run the very same expression.
CASES = {
    "add(a, b)": "xp.add(a, b)",
    "multiply(a, 2.0)": "xp.multiply(a, 2.0)",
    "tanh(a)": "xp.tanh(a)",
    "exp(a)": "xp.exp(a)",
    "matmul(a, b)": "xp.matmul(a, b)",
    "sum(a)": "xp.sum(a)",
    "max(a, axis=0, keepdims=True)": "xp.max(a, axis=0, keepdims=True)",
    "mean(a)": "xp.mean(a)",
    "where(a > 0, a, b)": "xp.where(a > 0, a, b)",
    "sum(tanh(a) * b + 1.0)": "xp.sum(xp.tanh(a) * b + 1.0)",
}


@workload("eager_small", "funcgrad.numpy vs numpy on 10-element float64 arrays")
def run(settings: Settings) -> list[Row]:
    a = np.linspace(-1.0, 1.0, 10)
    b = np.linspace(0.5, 2.0, 10)
    rows = []
    for case, stmt in CASES.items():
        _check_same_result(stmt, a, b)
        stmts = {
            "funcgrad": stmt.replace("xp.", "fnp."),
            "numpy": stmt.replace("xp.", "np."),
        }
        timings = measure(stmts, settings, {"fnp": fnp, "np": np, "a": a, "b": b})
        rows += compare("eager_small", case, timings, targets={"numpy": TARGET})
    return rows


def _check_same_result(stmt: str, a: np.ndarray, b: np.ndarray) -> None:
    got = eval(stmt, {"xp": fnp, "a": a, "b": b})
    want = eval(stmt, {"xp": np, "a": a, "b": b})
    assert type(got) is np.ndarray, f"{stmt}: funcgrad returned {type(got)}"
    assert got.dtype == np.float64, f"{stmt}: funcgrad returned {got.dtype}"
    np.testing.assert_array_equal(got, want, err_msg=stmt)
