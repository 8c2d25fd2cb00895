"""Tolerances that follow the dtype and the scale of the function checked.

A comparison with finite differences can only be as good as the
differences themselves. With a central difference of step `h`, the error
has two parts: truncation, about `h**2 * |f'''| / 6`, which shrinks with
the step, and rounding, about `ulp * |f| / h`, which grows as the step
shrinks. So the tolerance of each comparison is built from three numbers:

- a relative tolerance chosen by dtype (float16, float32, float64),
- the scale of the reference (the largest derivative found), times that
  relative tolerance, which bounds truncation error for derivatives of
  any size;
- the scale of the outputs, times `NOISE_ULPS` units in the last place,
  divided by the step, which bounds rounding error for outputs of any size;
  for a derivative checked in its turn (order 2), the scale of the function
  it derives from too, since its rounding error follows the values it was
  computed from (`1 - tanh(x)**2` is tiny, its error is not);
- an estimate of the truncation error from a second difference with twice
  the step, which keeps zero derivatives checkable.

Comparisons that finite differences play no part in (the dot-product test,
linearity, symmetry, `jit` against eager) are exact up to rounding and use
a tighter relative tolerance, times the scale of the quantities compared.
An `atol` given by the caller replaces the scale-relative part; an `rtol`
replaces the dtype's relative tolerances.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

# Rounding budget of one evaluation of the function, in units in the last
# place; composed functions round several times before they return.
NOISE_ULPS = 32


@dataclasses.dataclass(frozen=True)
class _DtypeDefaults:
    step: float  # finite-difference step, relative to max(1, |x|)
    fd_rtol: float  # comparisons with finite differences
    rtol: float  # comparisons exact up to rounding


_DEFAULTS = {
    np.dtype(np.float16): _DtypeDefaults(step=1e-1, fd_rtol=1e-1, rtol=3e-2),
    np.dtype(np.float32): _DtypeDefaults(step=1e-2, fd_rtol=1e-2, rtol=1e-3),
    np.dtype(np.float64): _DtypeDefaults(step=1e-5, fd_rtol=1e-6, rtol=1e-9),
}


def default_step(dtype: Any) -> float:
    """The finite-difference step funcgrad.testing uses for `dtype`.

    >>> default_step("float32"), default_step("float64")
    (0.01, 1e-05)
    """
    return _defaults(np.dtype(dtype)).step


def _defaults(dtype: np.dtype) -> _DtypeDefaults:
    # Wider floats (longdouble) get float64's numbers: safe, if not tight.
    return _DEFAULTS.get(dtype, _DEFAULTS[np.dtype(np.float64)])


@dataclasses.dataclass(frozen=True)
class Tolerance:
    """The step and tolerances of one check, for one dtype."""

    dtype: np.dtype
    step: float
    fd_rtol: float
    rtol: float
    atol: float | None

    @property
    def ulp(self) -> float:
        return float(np.finfo(self.dtype).eps)

    @property
    def floor(self) -> float:
        # Below the smallest normal number, values are subnormal and keep
        # fewer significant bits: no relative tolerance holds there.
        return NOISE_ULPS * float(np.finfo(self.dtype).tiny)

    def fd_atol(self, ref_scale: float, out_scale: float) -> float:
        """Absolute tolerance of a comparison with finite differences."""
        if self.atol is not None:
            return self.atol
        rounding = NOISE_ULPS * self.ulp * out_scale / self.step
        return self.fd_rtol * ref_scale + rounding + self.floor

    def exact_atol(self, scale: float) -> float:
        """Absolute tolerance of a comparison exact up to rounding."""
        if self.atol is not None:
            return self.atol
        return self.rtol * scale + self.floor


def float_dtype(values: Iterable[Any]) -> np.dtype:
    """The least precise floating dtype among `values` (float64 if none)."""
    dtypes = [dtype_of(v) for v in values]
    floats = [d for d in dtypes if d.kind == "f"]
    if not floats:
        return np.dtype(np.float64)
    return min(floats, key=lambda d: d.itemsize)


def dtype_of(x: Any) -> np.dtype:
    """The dtype of an array, a numpy scalar or a Python number."""
    dtype = getattr(x, "dtype", None)
    return np.dtype(dtype) if dtype is not None else np.asarray(x).dtype


def tolerance(
    values: Sequence[Any],
    eps: float | None = None,
    atol: float | None = None,
    rtol: float | None = None,
) -> Tolerance:
    """The tolerance for a check whose inputs and outputs are `values`."""
    dtype = float_dtype(values)
    base = _defaults(dtype)
    return Tolerance(
        dtype=dtype,
        step=base.step if eps is None else float(eps),
        fd_rtol=base.fd_rtol if rtol is None else float(rtol),
        rtol=base.rtol if rtol is None else float(rtol),
        atol=None if atol is None else float(atol),
    )


# Arithmetic on lists of leaves, in float64.


def as64(x: Any) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def max_abs(leaves: Iterable[Any]) -> float:
    sizes = [as64(x) for x in leaves]
    return max((float(np.max(np.abs(x))) for x in sizes if x.size), default=0.0)


def norm(leaves: Iterable[Any]) -> float:
    """The 2-norm of all leaves together, scaled so tiny values do not underflow."""
    leaves = [as64(x) for x in leaves]
    scale = max_abs(leaves)
    if scale == 0.0 or not np.isfinite(scale):
        return scale
    return scale * float(np.sqrt(sum(np.sum((x / scale) ** 2) for x in leaves)))


def norm1(leaves: Iterable[Any]) -> float:
    return float(sum(float(np.sum(np.abs(as64(x)))) for x in leaves))


def vdot(a: Sequence[Any], b: Sequence[Any]) -> float:
    return float(sum(float(np.vdot(as64(x), as64(y))) for x, y in zip(a, b)))
