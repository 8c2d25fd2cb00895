"""Complex parts: `real`, `imag`, `conj`, and `complex`, which makes a
complex array from its real and imaginary parts; also the derivatives of
`abs` and `sign` for complex operands, which `_elementwise.py` calls.

The derivative conventions are JAX's and autograd's (docs/conventions.md).
A jvp rule gives the tangent `df` of the output for a tangent `dz` of the
input; the map is linear over the reals, and complex-linear exactly where
the function is holomorphic. A transpose rule is the plain linear
transpose with respect to the real pairing `Re(sum(u * v))`, with no
conjugation: for `L(dz) = a dz + b conj(dz)` it is `a ct + conj(b ct)`.
So `mul` by a constant transposes to `mul` by the same constant, `conj` to
`conj`, and `real` (linear from complex to real) to `ct + 0j`. A real
input's cotangent is the real part of the complex one, as
`convert_element_type` gives it. The conjugate users see in `grad` of a
real function, `df/dx - i df/dy`, comes from this convention (seeding the
transpose with 1), not from any rule.

None of these has a lowering: the compiled backend leaves complex values
to numpy (`funcgrad.backend._fusion.unsupported_dtype`), so a compiled
program runs their implementations.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from funcgrad.core import Primitive, ShapedArray, get_aval
from funcgrad.errors import FuncgradTypeError
from funcgrad.primitives import _elementwise as ew
from funcgrad.primitives import _shape as shape_ops
from funcgrad.primitives._util import broadcast_shapes, same_dtype
from funcgrad.transforms import deflinear_jvp, is_undefined, transpose_rules


def complex_dtype(dtype: Any) -> np.dtype:
    """The complex dtype with `dtype`'s precision (float32 -> complex64)."""
    return np.promote_types(dtype, np.complex64)


def real_dtype(dtype: Any) -> np.dtype:
    """The real dtype of a complex one's parts (complex64 -> float32)."""
    return np.empty((), dtype).real.dtype


def _require_complex(name: str, aval: ShapedArray) -> None:
    if aval.dtype.kind != "c":
        raise FuncgradTypeError(
            f"`{name}` takes a complex operand, got {aval.str_short()}. "
            f"`funcgrad.numpy.{name}` handles real arrays (without a primitive)."
        )


# --- real, imag and conj ----------------------------------------------------------

real_p = Primitive("real")
imag_p = Primitive("imag")
conj_p = Primitive("conj")


def real(x: Any) -> Any:
    return real_p.bind(x)


def imag(x: Any) -> Any:
    return imag_p.bind(x)


def conj(x: Any) -> Any:
    return conj_p.bind(x)


@real_p.def_impl
def real_impl(x: Any) -> Any:
    return np.array(np.real(x))


@imag_p.def_impl
def imag_impl(x: Any) -> Any:
    return np.array(np.imag(x))


@conj_p.def_impl
def conj_impl(x: Any) -> Any:
    return np.asarray(np.conj(x))


@real_p.def_abstract_eval
def real_abstract_eval(x: ShapedArray) -> ShapedArray:
    _require_complex("real", x)
    return x.update(dtype=real_dtype(x.dtype))


@imag_p.def_abstract_eval
def imag_abstract_eval(x: ShapedArray) -> ShapedArray:
    _require_complex("imag", x)
    return x.update(dtype=real_dtype(x.dtype))


@conj_p.def_abstract_eval
def conj_abstract_eval(x: ShapedArray) -> ShapedArray:
    _require_complex("conj", x)
    return x


deflinear_jvp(real_p)
deflinear_jvp(imag_p)
deflinear_jvp(conj_p)


def real_transpose(ct: Any, x: Any) -> list[Any]:
    # real(dz) = (dz + conj(dz)) / 2, whose transpose is (ct + conj(ct)) / 2
    return [ew.convert_element_type(ct, x.aval.dtype)]


def imag_transpose(ct: Any, x: Any) -> list[Any]:
    # imag(dz) = (dz - conj(dz)) / 2i, whose transpose at a real ct is -i ct
    minus_i = np.asarray(-1j, x.aval.dtype)
    return [ew.mul(ew.convert_element_type(ct, x.aval.dtype), minus_i)]


def conj_transpose(ct: Any, x: Any) -> list[Any]:
    return [conj(ct)]


transpose_rules[real_p] = real_transpose
transpose_rules[imag_p] = imag_transpose
transpose_rules[conj_p] = conj_transpose

# --- complex: x + iy from its parts -------------------------------------------------

complex_p = Primitive("complex")


def complex(x: Any, y: Any) -> Any:
    return complex_p.bind(x, y)


@complex_p.def_impl
def complex_impl(x: Any, y: Any) -> Any:
    x, y = np.asarray(x), np.asarray(y)
    shape = np.broadcast_shapes(x.shape, y.shape)
    out = np.empty(shape, complex_dtype(x.dtype))
    out.real, out.imag = x, y
    return out


@complex_p.def_abstract_eval
def complex_abstract_eval(x: ShapedArray, y: ShapedArray) -> ShapedArray:
    dtype = same_dtype("complex", [x, y])
    if dtype.kind != "f" or dtype == np.float16:
        raise FuncgradTypeError(
            f"`complex` makes complex64 or complex128 values from float32 or "
            f"float64 parts, got {x.str_short()} and {y.str_short()}."
        )
    shape = broadcast_shapes("complex", x.shape, y.shape)
    return ShapedArray(shape, complex_dtype(dtype))


deflinear_jvp(complex_p)


def complex_transpose(ct: Any, x: Any, y: Any) -> list[Any]:
    # x + iy: the real input x gets real(ct), y gets real(i ct) = -imag(ct)
    ct_x = ct_y = None
    if is_undefined(x):
        ct_x = shape_ops.unbroadcast(real(ct), x.aval)
    if is_undefined(y):
        ct_y = shape_ops.unbroadcast(ew.neg(imag(ct)), y.aval)
    return [ct_x, ct_y]


transpose_rules[complex_p] = complex_transpose

# --- the derivatives of abs and sign of complex operands ----------------------------


def abs_tangent(t: Any, x: Any) -> Any:
    """d|z| = Re(conj(s) dz) with `s = sign(z) = z / |z|`: real, and 0 at
    z = 0, where numpy's sign is 0 (the subgradient funcgrad takes at the
    kink for real operands too). The factor is a primal value, so the
    transpose multiplies by it and never divides by |z|."""
    return real(ew.mul(t, conj(ew.sign(x))))


def sign_tangent(t: Any, x: Any) -> Any:
    """The derivative of numpy's complex sign, `s = z / |z|`:
    `ds = (dz - s Re(conj(s) dz)) / |z|` (the part of `dz` across the ray
    through `z`, scaled), and 0 at `z = 0`."""
    dtype = get_aval(x).dtype
    s, r = ew.sign(x), ew.convert_element_type(ew.abs(x), dtype)
    zero, one = np.zeros((), dtype), np.ones((), dtype)
    at_zero = ew.eq(r, zero)
    along = ew.convert_element_type(real(ew.mul(conj(s), t)), dtype)
    across = ew.sub(t, ew.mul(s, along))
    return ew.select(at_zero, zero, ew.div(across, ew.select(at_zero, one, r)))


# --- batching -----------------------------------------------------------------------

for _p in (real_p, imag_p, conj_p):
    ew._unary_batch(_p)
ew._broadcasting_batch(complex_p)
