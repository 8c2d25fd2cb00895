"""The discrete Fourier transform primitive, `fft`, over the trailing axes.

`fft_type` picks one of four transforms of the last `len(fft_lengths)`
axes, each numpy's with its default ("backward") scaling:

- `"fft"`: complex to complex, unscaled (`numpy.fft.fftn`);
- `"ifft"`: complex to complex, scaled by `1 / N` (`numpy.fft.ifftn`);
- `"rfft"`: real to complex, the last axis cut to its `n // 2 + 1`
  non-negative frequencies (`numpy.fft.rfftn`);
- `"irfft"`: that half spectrum back to a real signal of `fft_lengths`,
  scaled by `1 / N` (`numpy.fft.irfftn`).

`N` is the product of `fft_lengths`. The operand's trailing axes must
already have the lengths the transform reads (`fft_lengths`, or the half
spectrum's `n // 2 + 1` on the last axis for `"irfft"`);
`funcgrad.numpy.fft` crops, pads and moves axes to get there, and applies
the other `norm` scalings.

Every transform is linear, so the jvp applies it to the tangent. The
transposes are the plain linear transposes of JAX's convention
(`_complex.py`), with no conjugation:

- the DFT matrix is symmetric, so `fft` and `ifft` are their own
  transposes;
- `rfft` keeps the first `m = n // 2 + 1` rows of the DFT of a real
  signal, so its transpose pads the cotangent with zeros back to `n`,
  transforms with `fft`, and keeps the real part (a real input's
  cotangent is real);
- `irfft(c)_j = (1/N) sum_k w_k Re(c_k e^(2 pi i jk/n))` over the half
  spectrum, where `w_k = 2` counts each frequency for itself and its
  mirror image, except `w_0 = 1` and, for even `n`, `w_(n/2) = 1`. Its
  transpose at a real cotangent `u` is `w * conj(rfft(u)) / N`.

The tests check both with finite differences and the dot-product test
`Re(sum(u * L v)) == Re(sum(L^T u * v))`.

There is no lowering: a compiled program calls the implementation
(numpy's pocketfft) for this equation, as it does for complex values in
general.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from funcgrad.core import Primitive, ShapedArray
from funcgrad.errors import FuncgradTypeError, FuncgradValueError, ShapeError
from funcgrad.primitives import _complex as cp
from funcgrad.primitives import _elementwise as ew
from funcgrad.primitives import _shape as shape_ops
from funcgrad.transforms import batch_rules, deflinear_jvp, transpose_rules

FFT_TYPES = ("fft", "ifft", "rfft", "irfft")

fft_p = Primitive("fft")


def fft(x: Any, fft_type: str, fft_lengths: tuple[int, ...]) -> Any:
    """The `fft_type` transform of `x`'s last `len(fft_lengths)` axes."""
    return fft_p.bind(
        x, fft_type=str(fft_type), fft_lengths=tuple(int(n) for n in fft_lengths)
    )


def _axes(x: Any, fft_lengths: tuple[int, ...]) -> tuple[int, ...]:
    ndim = np.ndim(x)
    return tuple(range(ndim - len(fft_lengths), ndim))


@fft_p.def_impl
def fft_impl(x: Any, *, fft_type: str, fft_lengths: tuple[int, ...]) -> Any:
    x = np.asarray(x)
    axes = _axes(x, fft_lengths)
    if fft_type == "fft":
        return np.fft.fftn(x, axes=axes)
    if fft_type == "ifft":
        return np.fft.ifftn(x, axes=axes)
    if fft_type == "rfft":
        return np.fft.rfftn(x, axes=axes)
    return np.fft.irfftn(x, s=fft_lengths, axes=axes)


def half_length(n: int) -> int:
    """The length of a real signal's half spectrum, `n // 2 + 1`."""
    return n // 2 + 1


def _expected_in_shape(fft_type: str, fft_lengths: tuple[int, ...]) -> tuple:
    if fft_type == "irfft":
        return fft_lengths[:-1] + (half_length(fft_lengths[-1]),)
    return fft_lengths


@fft_p.def_abstract_eval
def fft_abstract_eval(
    x: ShapedArray, *, fft_type: str, fft_lengths: tuple[int, ...]
) -> ShapedArray:
    if fft_type not in FFT_TYPES:
        raise FuncgradValueError(
            f"`fft`: `fft_type` is one of {FFT_TYPES}, got {fft_type!r}."
        )
    if not fft_lengths or min(fft_lengths) < 1:
        raise ShapeError(
            f"`fft` needs one or more positive transform lengths, got {fft_lengths}."
        )
    wants_real = fft_type == "rfft"
    if x.dtype.kind != ("f" if wants_real else "c") or x.dtype == np.float16:
        what = "float32 or float64" if wants_real else "complex64 or complex128"
        raise FuncgradTypeError(
            f"`fft` of type {fft_type!r} takes a {what} operand, got "
            f"{x.str_short()}; `funcgrad.numpy.fft` converts for you."
        )
    k = len(fft_lengths)
    expected = _expected_in_shape(fft_type, fft_lengths)
    if x.ndim < k or x.shape[x.ndim - k :] != expected:
        raise ShapeError(
            f"`fft` of type {fft_type!r} with lengths {fft_lengths} needs an "
            f"operand whose last {k} axes are {expected}, got {x.str_short()}."
        )
    lead = x.shape[: x.ndim - k]
    if fft_type == "rfft":
        return ShapedArray(
            lead + fft_lengths[:-1] + (half_length(fft_lengths[-1]),),
            cp.complex_dtype(x.dtype),
        )
    if fft_type == "irfft":
        return ShapedArray(lead + fft_lengths, cp.real_dtype(x.dtype))
    return x


deflinear_jvp(fft_p)


def _irfft_weights(n: int, dtype: np.dtype) -> np.ndarray:
    """w_k for the half spectrum of a length-n signal: 2 for the frequencies
    that stand for a mirrored pair, 1 for the zero and (n even) the Nyquist
    frequency, which stand only for themselves."""
    w = np.full(half_length(n), 2.0)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    return w.astype(dtype)


def fft_transpose(
    ct: Any, x: Any, *, fft_type: str, fft_lengths: tuple[int, ...]
) -> list[Any]:
    if fft_type in ("fft", "ifft"):
        return [fft(ct, fft_type, fft_lengths)]
    if fft_type == "rfft":
        n = fft_lengths[-1]
        config = [(0, 0, 0)] * (x.aval.ndim - 1) + [(0, n - half_length(n), 0)]
        full = shape_ops.pad(ct, config)
        return [cp.real(fft(full, "fft", fft_lengths))]
    spectrum = cp.conj(fft(ct, "rfft", fft_lengths))
    size = int(np.prod(fft_lengths, dtype=np.int64))
    weights = _irfft_weights(fft_lengths[-1], x.aval.dtype) / size
    return [ew.mul(spectrum, weights)]


transpose_rules[fft_p] = fft_transpose


def fft_batch(
    size: int, vals: Any, dims: Any, *, fft_type: str, fft_lengths: tuple[int, ...]
) -> tuple[Any, int]:
    # the transform reads trailing axes, so a batch axis in front is mapped over
    x = shape_ops.batch_to_front(vals[0], dims[0])
    return fft(x, fft_type, fft_lengths), 0


batch_rules[fft_p] = fft_batch
