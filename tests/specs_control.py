"""Primitive specs for the control-flow primitives (`scan`, `cond`, `while`)
and for `debug_callback`, for the table in `primitive_specs.py`.

Each applies its primitive to a small smooth body and is checked against
the same computation written as a numpy loop or `if`. `scan` and `cond`
are linear in their tangent operands (their transpose rules run the linear
scan backwards, or the linear branch transposed); `while` has a transpose
rule only to say why reverse mode cannot go through it, so its spec checks
forward mode alone. Full coverage (pytrees, nesting, batching of
predicates, errors) is in `test_control.py`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from primitive_specs import (
    ANY,
    F32,
    F64,
    NONZERO,
    Case,
    Domain,
    PrimitiveSpec,
    arrays,
    shapes,
)

import funcgrad as fg
import funcgrad.lax as lax
import funcgrad.numpy as fnp
from funcgrad.primitives import _control as control
from funcgrad.primitives import _debug as debug

SMALL = Domain(-1.5, 1.5)
_RTOL = {F32: 2e-5, F64: 1e-12}


@st.composite
def _carry_and_xs(draw: Any, dtype: np.dtype) -> Case:
    shape = draw(shapes(max_dims=2))
    length = draw(st.integers(0, 3))
    carry = draw(arrays(dtype, shape, SMALL))
    xs = draw(arrays(dtype, (length, *shape), SMALL))
    return (carry, xs), {"reverse": draw(st.booleans())}


def _scan(carry: Any, xs: Any, reverse: bool) -> Any:
    def step(c: Any, x: Any) -> tuple[Any, Any]:
        return fnp.sin(c) * x + 0.5 * c, c * x

    final, ys = lax.scan(step, carry, xs, reverse=reverse)
    return fnp.concatenate([final[None], ys])


def _scan_reference(carry: np.ndarray, xs: np.ndarray, reverse: bool) -> np.ndarray:
    c, ys = carry, []
    order = range(len(xs) - 1, -1, -1) if reverse else range(len(xs))
    for i in order:
        c, y = np.sin(c) * xs[i] + c.dtype.type(0.5) * c, c * xs[i]
        ys.append(y)
    if reverse:
        ys.reverse()
    stacked = np.stack(ys) if ys else np.zeros((0, *carry.shape), carry.dtype)
    return np.concatenate([c[None], stacked])


@st.composite
def _predicate_and_pair(draw: Any, dtype: np.dtype) -> Case:
    shape = draw(shapes(max_dims=2))
    pred = draw(arrays(dtype, (), NONZERO))
    x = draw(arrays(dtype, shape, SMALL))
    y = draw(arrays(dtype, shape, SMALL))
    return (pred, x, y), {}


def _cond(pred: Any, x: Any, y: Any) -> Any:
    return lax.cond(
        pred > 0, lambda a, b: fnp.sin(a) * b, lambda a, b: a * fnp.exp(b), x, y
    )


def _cond_reference(pred: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.sin(x) * y if pred > 0 else x * np.exp(y)


def _while(x: Any) -> Any:
    def body(state: Any) -> Any:
        i, v = state
        return i + 1, v * fnp.cos(v) + 0.25

    return lax.while_loop(lambda s: s[0] < 3, body, (0, x))[1]


def _while_reference(x: np.ndarray) -> np.ndarray:
    v = x
    for _ in range(3):
        v = v * np.cos(v) + x.dtype.type(0.25)
    return v


def _sin_seen(x: Any) -> Any:
    """sin(x), after a callback that checks it is given numpy arrays."""

    def check(value: np.ndarray) -> None:
        assert isinstance(value, np.ndarray), type(value)

    fg.debug.callback(check, x)
    return fnp.sin(x)


def control_specs() -> list[PrimitiveSpec]:
    """The specs this module contributes to `primitive_specs.SPECS`."""
    return [
        PrimitiveSpec(
            "scan", control.scan_p, _scan, _scan_reference, _carry_and_xs,
            linear=True, rtol=_RTOL,
        ),
        PrimitiveSpec(
            "cond", control.cond_p, _cond, _cond_reference, _predicate_and_pair,
            linear=True, rtol=_RTOL,
        ),
        # Its transpose rule exists to explain that reverse mode cannot go
        # through a loop of unknown length.
        PrimitiveSpec(
            "while", control.while_p, _while, _while_reference,
            lambda dtype: arrays(dtype, shapes(max_dims=2), ANY).map(
                lambda x: ((x,), {})
            ),
            modes=("fwd",), linear=True, rtol=_RTOL,
        ),
        PrimitiveSpec(
            "debug_callback", debug.debug_callback_p, _sin_seen, np.sin,
            lambda dtype: arrays(dtype, shapes(), ANY).map(lambda x: ((x,), {})),
        ),
    ]  # fmt: skip
