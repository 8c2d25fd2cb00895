"""`funcgrad.nn`: the activation functions of neural networks, with the
names and conventions of `jax.nn`, traceable and differentiable.

They are written with `funcgrad.numpy`. Where a function is defined by
cases (`relu`, `elu`, `softplus`), each case is evaluated on an argument
that is harmless where that case is not taken, so no derivative meets
`0 * inf`. At a kink the derivative is that of one side, as in JAX:

| function | point | derivative |
| --- | --- | --- |
| `relu` | 0 | 0 |
| `relu6` | 0 and 6 | 0 |
| `leaky_relu` | 0 | 1 |
| `hard_tanh` | -1 and 1 | 1 |
| `elu` | 0 | `alpha` |

>>> import numpy as np
>>> relu(np.array([-1.0, 0.0, 2.0]))
array([0., 0., 2.])
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import funcgrad.numpy as fnp
from funcgrad.core import get_aval
from funcgrad.errors import FuncgradTypeError, FuncgradValueError
from funcgrad.numpy._util import as_operand, to_inexact
from funcgrad.scipy.special import erfc, expit, logsumexp
from funcgrad.scipy.special import log_softmax as _log_softmax
from funcgrad.scipy.special import softmax as _softmax

__all__ = [
    "elu",
    "gelu",
    "hard_tanh",
    "leaky_relu",
    "log_sigmoid",
    "log_softmax",
    "logsumexp",
    "one_hot",
    "relu",
    "relu6",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "swish",
]


def _zeros(x: Any) -> Any:
    return np.zeros((), get_aval(x).dtype)


def relu(x: Any) -> Any:
    """`max(x, 0)`; NaN stays NaN. Its derivative at 0 is 0 (JAX's choice
    too), so a unit that is exactly 0 does not learn from that example."""
    x = to_inexact(x)
    return fnp.where(x <= 0, _zeros(x), x)


def relu6(x: Any) -> Any:
    """`min(max(x, 0), 6)`, with derivative 0 at 0 and at 6."""
    x = to_inexact(x)
    six = np.asarray(6, get_aval(x).dtype)
    return fnp.where(x <= 0, _zeros(x), fnp.where(x >= 6, six, x))


def leaky_relu(x: Any, negative_slope: float = 1e-2) -> Any:
    """`x` for `x >= 0`, `negative_slope * x` below (derivative 1 at 0)."""
    x = to_inexact(x)
    return fnp.where(x >= 0, x, negative_slope * x)


def hard_tanh(x: Any) -> Any:
    """`x` clipped to [-1, 1] (derivative 1 at the bounds)."""
    x = to_inexact(x)
    one = np.ones((), get_aval(x).dtype)
    return fnp.where(x > 1, one, fnp.where(x < -1, -one, x))


def elu(x: Any, alpha: float = 1.0) -> Any:
    """`x` for `x > 0`, `alpha * (exp(x) - 1)` otherwise."""
    x = to_inexact(x)
    positive = x > 0
    safe = fnp.where(positive, _zeros(x), x)  # exp never overflows
    return fnp.where(positive, x, alpha * fnp.expm1(safe))


def softplus(x: Any) -> Any:
    """`log(1 + exp(x))` without overflow: `x + log1p(exp(-x))` for `x > 0`,
    `log1p(exp(x))` otherwise. Its derivative is `sigmoid(x)`, exact to
    every order, also at 0."""
    x = to_inexact(x)
    positive = x > 0
    zero = _zeros(x)
    above = fnp.where(positive, x, zero)
    below = fnp.where(positive, zero, x)
    return fnp.where(
        positive, above + fnp.log1p(fnp.exp(-above)), fnp.log1p(fnp.exp(below))
    )


def sigmoid(x: Any) -> Any:
    """The logistic function `1 / (1 + exp(-x))`, without overflow."""
    return expit(x)


def log_sigmoid(x: Any) -> Any:
    """`log(sigmoid(x)) = -softplus(-x)`, finite for very negative `x`."""
    return -softplus(-to_inexact(x))


def silu(x: Any) -> Any:
    """`x * sigmoid(x)` (also called swish)."""
    x = to_inexact(x)
    return x * sigmoid(x)


swish = silu


def gelu(x: Any, approximate: bool = True) -> Any:
    """The Gaussian error linear unit `x * Phi(x)`.

    With `approximate=True` (JAX's default), the tanh form
    `x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))`; otherwise the exact
    form, written with `erfc` so that it keeps its digits for negative `x`.
    """
    x = to_inexact(x)
    dtype = get_aval(x).dtype
    if approximate:
        c = np.asarray(math.sqrt(2 / math.pi), dtype)
        inner = c * (x + np.asarray(0.044715, dtype) * x * x * x)
        return np.asarray(0.5, dtype) * x * (1 + fnp.tanh(inner))
    return np.asarray(0.5, dtype) * x * erfc(-x * np.asarray(1 / math.sqrt(2), dtype))


def softmax(x: Any, axis: Any = -1) -> Any:
    """`exp(x) / sum(exp(x), axis)` along `axis` (the last by default, as
    in JAX), without overflow."""
    return _softmax(x, axis=axis)


def log_softmax(x: Any, axis: Any = -1) -> Any:
    """`x - logsumexp(x, axis)` along `axis` (the last by default)."""
    return _log_softmax(x, axis=axis)


def one_hot(
    x: Any, num_classes: int, *, dtype: Any = np.float64, axis: int = -1
) -> Any:
    """Integer labels `x` as one-hot vectors along a new axis `axis` (the
    last by default): `one_hot(x, n)[..., k] == (x == k)`. Labels outside
    `[0, num_classes)` give a row of zeros. The result has no derivative
    (`x` is integral).

    >>> one_hot(np.array([0, 2]), 3)
    array([[1., 0., 0.],
           [0., 0., 1.]])
    """
    if isinstance(num_classes, bool) or not isinstance(num_classes, int | np.integer):
        raise FuncgradTypeError(
            f"`funcgrad.nn.one_hot`: `num_classes` must be an int known while "
            f"tracing, got {type(num_classes).__name__}."
        )
    if num_classes < 0:
        raise FuncgradValueError(
            f"`funcgrad.nn.one_hot`: `num_classes` must be at least 0, got "
            f"{num_classes}."
        )
    labels = as_operand(x)
    kind = get_aval(labels).dtype.kind
    if kind not in "iu":
        raise FuncgradTypeError(
            f"`funcgrad.nn.one_hot` takes integer labels, got "
            f"{get_aval(labels).str_short()}; convert them with "
            f"`.astype(int)` first."
        )
    classes = np.arange(int(num_classes))
    hits = (fnp.expand_dims(labels, -1) == classes).astype(dtype)
    return hits if axis == -1 else fnp.moveaxis(hits, -1, axis)
