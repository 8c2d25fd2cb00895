"""Vectorizable exp, expm1, tanh, sin and cos for fused kernels.

numba compiles `np.exp` and friends to a call of the C library's scalar
function for each element, so a loop containing one cannot use SIMD
instructions: a `tanh` there costs 15 ns against numpy's 1.3 ns
(benchmarks/README.md). The functions here are written in arithmetic,
comparisons and bit operations only, so LLVM vectorizes a kernel's whole
loop body. Each has a float64 version and (except sin and cos, which
float32 kernels compute in float64) a float32 version, and they agree with numpy within a few ulp, including at infinities,
NaN, signed zeros and subnormal results (tests/test_vecmath.py).

- exp and expm1 reduce `x = k ln 2 + r` with |r| <= ln(2)/2 (Cody and
  Waite: ln 2 in two parts, the first with trailing zero bits so that
  `k * LN2_HI` is exact), evaluate `exp(r) - 1` by its Taylor series to
  the 13th power (the first term left out is below 2**-55 relative), and
  scale by `2**k` built from its bits, as two factors so that results down
  to the subnormals and up to the overflow threshold need no branch.
- tanh uses `tanh(a) = -expm1(-2a) / (2 + expm1(-2a))` for `a = |x|`,
  which has no cancellation for small `a`.
- sin and cos reduce `x = n pi/2 + r` with |r| <= pi/4, with pi/2 in three
  parts of 33, 33 and 53 bits (`n * PIO2_1` and `n * PIO2_2` are exact for
  |n| < 2**20), then pick the sine or cosine series of `r` (Taylor, to
  r**15 and r**16) by the quadrant `n mod 4`. The reduction is accurate
  for |x| <= `TRIG_EXACT_BELOW`; a kernel that meets a larger argument
  computes its loop again with the C library's functions
  (`backend._kernels.emit_loops`).

This module imports numba; only generated kernel modules import it.
"""

from __future__ import annotations

import math
from decimal import Decimal, localcontext

import numba
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

# Above this magnitude sin and cos are left to the C library.

# --- bit casts (one LLVM instruction each, so they vectorize) --------------


@intrinsic
def _bits(typingctx, x):  # type: ignore[no-untyped-def]
    if x != types.float64:
        return None

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def _from_bits(typingctx, n):  # type: ignore[no-untyped-def]
    if n != types.int64:
        return None

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@intrinsic
def _bits32(typingctx, x):  # type: ignore[no-untyped-def]
    # widened to int64: numba computes integer arithmetic in int64
    if x != types.float32:
        return None

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        return builder.sext(builder.bitcast(args[0], ir.IntType(32)), ir.IntType(64))

    return types.int64(types.float32), codegen


@intrinsic
def _from_bits32(typingctx, n):  # type: ignore[no-untyped-def]
    if n != types.int64:
        return None

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        return builder.bitcast(builder.trunc(args[0], ir.IntType(32)), ir.FloatType())

    return types.float32(types.int64), codegen


# --- constants -------------------------------------------------------------

# Adding 1.5 * 2**52 rounds a float64 of magnitude below 2**51 to an
# integer, which then sits in the low bits of the sum's mantissa.
_ROUND = 6755399441055744.0
_PI = Decimal(
    "3.14159265358979323846264338327950288419716939937510582097494459"
    "230781640628620899862803482534211706798214808651328230664709384"
)
_LN2 = Decimal(
    "0.69314718055994530941723212145817656807550013436025525412068000"
    "949339362196969471560586332699641868754200148102057068573368552"
)


def _split(value: Decimal, leading_bits: list[int]) -> list[float]:
    """`value` as a sum of floats: the first ones with only `leading_bits`
    significant bits (so that products by small integers are exact), the
    last one the rounded remainder. Call it with a precise context."""
    parts = []
    for bits in leading_bits:
        mantissa, exponent = math.frexp(float(value))
        part = math.ldexp(math.floor(mantissa * 2.0**bits) / 2.0**bits, exponent)
        parts.append(part)
        value -= Decimal(part)
    parts.append(float(value))
    return parts


with localcontext() as _ctx:
    _ctx.prec = 100
    LOG2E = float(1 / _LN2)
    LN2_HI, LN2_LO = _split(_LN2, [32])
    TWO_OVER_PI = float(2 / _PI)
    PIO2_1, PIO2_2, PIO2_3 = _split(_PI / 2, [33, 33])
    _LN2_HI16, _LN2_LO16 = _split(_LN2, [16])
EXP_OVERFLOW = 709.782712893384  # log(largest float64), rounded down

_E = [1.0 / math.factorial(k) for k in range(14)]
_S = [(-1.0) ** k / math.factorial(2 * k + 1) for k in range(8)]
_C = [(-1.0) ** k / math.factorial(2 * k) for k in range(9)]
E2, E3, E4, E5, E6, E7, E8, E9, E10, E11, E12, E13 = _E[2:]
S3, S5, S7, S9, S11, S13, S15 = _S[1:]
C2, C4, C6, C8, C10, C12, C14, C16 = _C[1:]

# float32: the same algorithms in single precision (so twice as many lanes),
# with a shorter series (the first term left out is below 2**-27) and ln 2's
# leading part of 16 bits.
_F = np.float32
_ROUND32 = _F(12582912.0)  # 1.5 * 2**23
LOG2E32 = _F(LOG2E)
LN2_HI32, LN2_LO32 = _F(_LN2_HI16), _F(_LN2_LO16)
F2, F3, F4, F5, F6, F7, F8 = (_F(c) for c in _E[2:9])
EXP_OVERFLOW32 = _F(88.72283)  # log(largest float32), rounded down
_ZERO32, _ONE32, _TWO32 = _F(0.0), _F(1.0), _F(2.0)
_LOW32, _HIGH32, _INF32 = _F(-104.0), _F(89.0), _F(np.inf)

# 'contract' lets LLVM fuse a multiply and an add into one rounding (FMA);
# it changes no NaN, infinity or signed-zero behaviour.
_jit = numba.njit(fastmath={"contract"}, error_model="numpy")
_inline = numba.njit(inline="always", fastmath={"contract"}, error_model="numpy")


@_jit
def _expm1_parts(x):  # type: ignore[no-untyped-def]
    """`exp(x) - 1 = s1 * s2 * (em + 1) - 1`: returns (em, s1, s2) with
    `em = exp(r) - 1` and `s1 * s2 = 2**k`, for x clamped to [-746, 710]
    (NaN becomes -746; callers pass it through themselves)."""
    xc = x if x > -746.0 else -746.0
    xc = xc if xc < 710.0 else 710.0
    t = xc * LOG2E + _ROUND
    kf = t - _ROUND
    k = _bits(t) - _bits(_ROUND)
    r = (xc - kf * LN2_HI) - kf * LN2_LO
    q = E13 * r + E12
    q = q * r + E11
    q = q * r + E10
    q = q * r + E9
    q = q * r + E8
    q = q * r + E7
    q = q * r + E6
    q = q * r + E5
    q = q * r + E4
    q = q * r + E3
    q = q * r + E2
    em = r + (r * r) * q
    k1 = k >> 1
    s1 = _from_bits((k1 + 1023) << 52)
    s2 = _from_bits((k - k1 + 1023) << 52)
    return em, s1, s2


@_jit
def vm_exp(x):  # type: ignore[no-untyped-def]
    em, s1, s2 = _expm1_parts(x)
    y = ((em + 1.0) * s1) * s2
    y = math.inf if x > EXP_OVERFLOW else y
    return x if x != x else y


@_jit
def vm_expm1(x):  # type: ignore[no-untyped-def]
    em, s1, s2 = _expm1_parts(x)
    # s1 * s2 * em + (s1 * s2 - 1) without forming 2**k, which may overflow
    y = s1 * (s2 * em + (s2 - 1.0 / s1))
    y = math.inf if x > EXP_OVERFLOW else y
    return x if (x != x or x == 0.0) else y  # NaN and signed zeros


@_inline
def vm_tanh(x):  # type: ignore[no-untyped-def]
    a = x if x >= 0.0 else -x
    em, s1, s2 = _expm1_parts(-2.0 * a)
    u = s1 * (s2 * em + (s2 - 1.0 / s1))  # expm1(-2a), -2a <= 0
    t = -u / (2.0 + u)
    t = -t if x < 0.0 else t
    return x if (x == 0.0 or x != x) else t  # signed zeros and NaN


@_jit
def vm_logistic(x):  # type: ignore[no-untyped-def]
    # 1 / (1 + exp(-x)), written so that neither side overflows
    e = vm_exp(-x if x >= 0.0 else x)
    return 1.0 / (1.0 + e) if x >= 0.0 else e / (1.0 + e)


@_jit
def _sincos_parts(x):  # type: ignore[no-untyped-def]
    """(n, sin r, cos r) for `x = n pi/2 + r`; accurate for |x| <=
    TRIG_EXACT_BELOW."""
    t = x * TWO_OVER_PI + _ROUND
    nf = t - _ROUND
    n = _bits(t) - _bits(_ROUND)
    r = ((x - nf * PIO2_1) - nf * PIO2_2) - nf * PIO2_3
    z = r * r
    p = S15 * z + S13
    p = p * z + S11
    p = p * z + S9
    p = p * z + S7
    p = p * z + S5
    p = p * z + S3
    s = r + (r * z) * p
    c = C16 * z + C14
    c = c * z + C12
    c = c * z + C10
    c = c * z + C8
    c = c * z + C6
    c = c * z + C4
    c = c * z + C2
    c = 1.0 + z * c
    return n, s, c


@_jit
def vm_sin(x):  # type: ignore[no-untyped-def]
    n, s, c = _sincos_parts(x)
    y = c if (n & 1) else s
    y = -y if (n & 2) else y
    return x if x == 0.0 else y  # sin(-0.0) is -0.0


@_jit
def vm_cos(x):  # type: ignore[no-untyped-def]
    n, s, c = _sincos_parts(x)
    y = -s if (n & 1) else c
    return -y if (n & 2) else y


@_jit
def _expm1_parts32(x):  # type: ignore[no-untyped-def]
    """`_expm1_parts` in float32, for x clamped to [-104, 89]."""
    xc = x if x > _LOW32 else _LOW32
    xc = xc if xc < _HIGH32 else _HIGH32
    t = xc * LOG2E32 + _ROUND32
    kf = t - _ROUND32
    k = _bits32(t) - _bits32(_ROUND32)
    r = (xc - kf * LN2_HI32) - kf * LN2_LO32
    q = F8 * r + F7
    q = q * r + F6
    q = q * r + F5
    q = q * r + F4
    q = q * r + F3
    q = q * r + F2
    em = r + (r * r) * q
    k1 = k >> 1
    s1 = _from_bits32((k1 + 127) << 23)
    s2 = _from_bits32((k - k1 + 127) << 23)
    return em, s1, s2


@_jit
def vm_exp32(x):  # type: ignore[no-untyped-def]
    em, s1, s2 = _expm1_parts32(x)
    y = ((em + _ONE32) * s1) * s2
    y = _INF32 if x > EXP_OVERFLOW32 else y
    return x if x != x else y


@_jit
def vm_expm1_32(x):  # type: ignore[no-untyped-def]
    em, s1, s2 = _expm1_parts32(x)
    y = s1 * (s2 * em + (s2 - _ONE32 / s1))
    y = _INF32 if x > EXP_OVERFLOW32 else y
    return x if (x != x or x == _ZERO32) else y


@_inline
def vm_tanh32(x):  # type: ignore[no-untyped-def]
    a = x if x >= _ZERO32 else -x
    em, s1, s2 = _expm1_parts32(-_TWO32 * a)
    u = s1 * (s2 * em + (s2 - _ONE32 / s1))
    t = -u / (_TWO32 + u)
    t = -t if x < _ZERO32 else t
    return x if (x == _ZERO32 or x != x) else t


@_jit
def vm_logistic32(x):  # type: ignore[no-untyped-def]
    e = vm_exp32(-x if x >= _ZERO32 else x)
    return _ONE32 / (_ONE32 + e) if x >= _ZERO32 else e / (_ONE32 + e)
