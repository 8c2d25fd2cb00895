"""Shape primitives: broadcast_in_dim, reshape, transpose, squeeze,
expand_dims, slice, pad, rev and concatenate.

All of them are linear, so each has a jvp that applies it to the tangent and
a transpose rule that undoes its data movement (sums where it copied).
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np

from funcgrad.backend import array_lowerings, elementwise_lowerings, fusion_conditions
from funcgrad.core import Primitive, ShapedArray, get_aval
from funcgrad.errors import ShapeError
from funcgrad.primitives import _reductions as reductions
from funcgrad.primitives._util import same_dtype, shape_of
from funcgrad.transforms import (
    batch_rules,
    deflinear_jvp,
    is_undefined,
    transpose_rules,
)

# --- broadcast_in_dim ---------------------------------------------------------

broadcast_in_dim_p = Primitive("broadcast_in_dim")


def broadcast_in_dim(
    x: Any, shape: Sequence[int], broadcast_dimensions: Sequence[int]
) -> Any:
    return broadcast_in_dim_p.bind(
        x, shape=tuple(shape), broadcast_dimensions=tuple(broadcast_dimensions)
    )


@broadcast_in_dim_p.def_impl
def broadcast_in_dim_impl(x: Any, *, shape: tuple, broadcast_dimensions: tuple) -> Any:
    expanded = [1] * len(shape)
    for d, size in zip(broadcast_dimensions, np.shape(x)):
        expanded[d] = size
    return np.broadcast_to(np.reshape(x, expanded), shape)


@broadcast_in_dim_p.def_abstract_eval
def broadcast_in_dim_abstract_eval(
    x: ShapedArray, *, shape: tuple, broadcast_dimensions: tuple
) -> ShapedArray:
    ok = len(broadcast_dimensions) == x.ndim and all(
        0 <= d < len(shape) and x.shape[i] in (1, shape[d])
        for i, d in enumerate(broadcast_dimensions)
    )
    if not ok or list(broadcast_dimensions) != sorted(set(broadcast_dimensions)):
        raise ShapeError(
            f"`broadcast_in_dim` cannot broadcast {x.str_short()} to shape "
            f"{shape} along dimensions {broadcast_dimensions}."
        )
    return x.update(shape=shape)


def broadcast_in_dim_transpose(
    ct: Any, x: Any, *, shape: tuple, broadcast_dimensions: tuple
) -> list[Any]:
    aval = x.aval
    new_dims = tuple(d for d in range(len(shape)) if d not in broadcast_dimensions)
    stretched = tuple(
        d
        for i, d in enumerate(broadcast_dimensions)
        if aval.shape[i] == 1 and shape[d] != 1
    )
    summed = reductions.reduce_sum(ct, tuple(sorted(new_dims + stretched)))
    return [reshape(summed, aval.shape)]


deflinear_jvp(broadcast_in_dim_p)
transpose_rules[broadcast_in_dim_p] = broadcast_in_dim_transpose


def broadcast_to(x: Any, shape: Sequence[int]) -> Any:
    """numpy-style broadcast of `x` to `shape` (leading dims added)."""
    shape = tuple(shape)
    x_shape = shape_of(x)
    if x_shape == shape:
        return x
    lead = len(shape) - len(x_shape)
    return broadcast_in_dim(x, shape, tuple(range(lead, len(shape))))


def unbroadcast(ct: Any, aval: ShapedArray) -> Any:
    """Sum `ct` down to `aval`'s shape: the transpose of numpy broadcasting."""
    ct_shape = shape_of(ct)
    if ct_shape == aval.shape:
        return ct
    lead = len(ct_shape) - aval.ndim
    axes = tuple(range(lead)) + tuple(
        lead + i
        for i, size in enumerate(aval.shape)
        if size == 1 and ct_shape[lead + i] != 1
    )
    summed = reductions.reduce_sum(ct, axes) if axes else ct
    return reshape(summed, aval.shape)


# --- reshape ------------------------------------------------------------------

reshape_p = Primitive("reshape")


def reshape(x: Any, new_sizes: Sequence[int]) -> Any:
    new_sizes = tuple(int(d) for d in new_sizes)
    if shape_of(x) == new_sizes:
        return x
    return reshape_p.bind(x, new_sizes=new_sizes)


@reshape_p.def_impl
def reshape_impl(x: Any, *, new_sizes: tuple) -> Any:
    return np.reshape(x, new_sizes)


@reshape_p.def_abstract_eval
def reshape_abstract_eval(x: ShapedArray, *, new_sizes: tuple) -> ShapedArray:
    if (
        int(np.prod(new_sizes, dtype=np.int64)) != x.size
        or min(new_sizes, default=0) < 0
    ):
        raise ShapeError(
            f"`reshape` cannot reshape an array of shape {x.shape} "
            f"({x.size} elements) into shape {new_sizes}."
        )
    return x.update(shape=new_sizes)


def reshape_transpose(ct: Any, x: Any, *, new_sizes: tuple) -> list[Any]:
    return [reshape(ct, x.aval.shape)]


deflinear_jvp(reshape_p)
transpose_rules[reshape_p] = reshape_transpose

# --- transpose ----------------------------------------------------------------

transpose_p = Primitive("transpose")


def transpose(x: Any, permutation: Sequence[int]) -> Any:
    permutation = tuple(int(p) for p in permutation)
    if permutation == tuple(range(get_aval(x).ndim)):
        return x
    return transpose_p.bind(x, permutation=permutation)


@transpose_p.def_impl
def transpose_impl(x: Any, *, permutation: tuple) -> Any:
    return np.transpose(x, permutation)


@transpose_p.def_abstract_eval
def transpose_abstract_eval(x: ShapedArray, *, permutation: tuple) -> ShapedArray:
    if sorted(permutation) != list(range(x.ndim)):
        raise ShapeError(
            f"`transpose`: {permutation} is not a permutation of the "
            f"{x.ndim} axes of {x.str_short()}."
        )
    return x.update(shape=tuple(x.shape[p] for p in permutation))


def transpose_transpose(ct: Any, x: Any, *, permutation: tuple) -> list[Any]:
    return [transpose(ct, tuple(np.argsort(permutation)))]


deflinear_jvp(transpose_p)
transpose_rules[transpose_p] = transpose_transpose

# --- squeeze and expand_dims --------------------------------------------------

squeeze_p = Primitive("squeeze")


def squeeze(x: Any, dimensions: Sequence[int]) -> Any:
    if not dimensions:
        return x
    return squeeze_p.bind(x, dimensions=tuple(sorted(dimensions)))


@squeeze_p.def_impl
def squeeze_impl(x: Any, *, dimensions: tuple) -> Any:
    return np.squeeze(x, axis=dimensions)


@squeeze_p.def_abstract_eval
def squeeze_abstract_eval(x: ShapedArray, *, dimensions: tuple) -> ShapedArray:
    if any(not 0 <= d < x.ndim or x.shape[d] != 1 for d in dimensions):
        raise ShapeError(
            f"`squeeze` can only remove axes of length 1; got dimensions "
            f"{dimensions} of {x.str_short()}."
        )
    shape = tuple(s for i, s in enumerate(x.shape) if i not in dimensions)
    return x.update(shape=shape)


def squeeze_transpose(ct: Any, x: Any, *, dimensions: tuple) -> list[Any]:
    return [expand_dims(ct, dimensions)]


deflinear_jvp(squeeze_p)
transpose_rules[squeeze_p] = squeeze_transpose

expand_dims_p = Primitive("expand_dims")


def expand_dims(x: Any, dimensions: Sequence[int]) -> Any:
    if not dimensions:
        return x
    return expand_dims_p.bind(x, dimensions=tuple(sorted(dimensions)))


@expand_dims_p.def_impl
def expand_dims_impl(x: Any, *, dimensions: tuple) -> Any:
    return np.expand_dims(x, dimensions)


@expand_dims_p.def_abstract_eval
def expand_dims_abstract_eval(x: ShapedArray, *, dimensions: tuple) -> ShapedArray:
    ndim = x.ndim + len(dimensions)
    if any(not 0 <= d < ndim for d in dimensions) or len(set(dimensions)) != len(
        dimensions
    ):
        raise ShapeError(
            f"`expand_dims`: dimensions {dimensions} do not fit a result of "
            f"rank {ndim} from {x.str_short()}."
        )
    rest = iter(x.shape)
    return x.update(
        shape=tuple(1 if d in dimensions else next(rest) for d in range(ndim))
    )


def expand_dims_transpose(ct: Any, x: Any, *, dimensions: tuple) -> list[Any]:
    return [squeeze(ct, dimensions)]


deflinear_jvp(expand_dims_p)
transpose_rules[expand_dims_p] = expand_dims_transpose

# --- slice, pad and rev -------------------------------------------------------
# slice takes positive strides; negative steps in indexing are a rev first.
# pad (with zeros, no negative padding) is the transpose of slice and back.

slice_p = Primitive("slice")


def slice(x: Any, start_indices: Sequence[int], limit_indices: Sequence[int],
          strides: Sequence[int] | None = None) -> Any:  # fmt: skip
    ndim = len(start_indices)
    strides = tuple(strides) if strides is not None else (1,) * ndim
    start, limit = tuple(start_indices), tuple(limit_indices)
    if start == (0,) * ndim and limit == shape_of(x) and strides == (1,) * ndim:
        return x
    return slice_p.bind(x, start_indices=start, limit_indices=limit, strides=strides)


@slice_p.def_impl
def slice_impl(
    x: Any, *, start_indices: tuple, limit_indices: tuple, strides: tuple
) -> Any:
    index = tuple(
        builtins.slice(s, e, st)
        for s, e, st in zip(start_indices, limit_indices, strides)
    )
    return np.asarray(x)[index]


@slice_p.def_abstract_eval
def slice_abstract_eval(
    x: ShapedArray, *, start_indices: tuple, limit_indices: tuple, strides: tuple
) -> ShapedArray:
    ok = len(start_indices) == len(limit_indices) == len(strides) == x.ndim and all(
        0 <= s <= e <= n and st >= 1
        for s, e, st, n in zip(start_indices, limit_indices, strides, x.shape)
    )
    if not ok:
        raise ShapeError(
            f"`slice` of {x.str_short()} with start {start_indices}, limit "
            f"{limit_indices} and strides {strides} is out of bounds."
        )
    shape = tuple(
        max(0, -(-(e - s) // st))
        for s, e, st in zip(start_indices, limit_indices, strides)
    )
    return x.update(shape=shape)


def slice_transpose(
    ct: Any, x: Any, *, start_indices: tuple, limit_indices: tuple, strides: tuple
) -> list[Any]:
    config = []
    for s, n, st, m in zip(start_indices, x.aval.shape, strides, shape_of(ct)):
        if m == 0:
            config.append((n, 0, 0))
            continue
        last = s + (m - 1) * st
        config.append((s, n - last - 1, st - 1))
    return [pad(ct, tuple(config))]


deflinear_jvp(slice_p)
transpose_rules[slice_p] = slice_transpose

pad_p = Primitive("pad")


def pad(x: Any, padding_config: Sequence[tuple[int, int, int]]) -> Any:
    """Pad with zeros: `(low, high, interior)` per axis, all non-negative."""
    return pad_p.bind(x, padding_config=tuple(tuple(c) for c in padding_config))


@pad_p.def_impl
def pad_impl(x: Any, *, padding_config: tuple) -> Any:
    x = np.asarray(x)
    shape = _pad_shape(x.shape, padding_config)
    out = np.zeros(shape, dtype=x.dtype)
    index = tuple(
        builtins.slice(lo, lo + (n - 1) * (interior + 1) + 1 if n else lo, interior + 1)
        for (lo, _, interior), n in zip(padding_config, x.shape)
    )
    out[index] = x
    return out


def _pad_shape(shape: tuple, config: tuple) -> tuple:
    return tuple(
        lo + hi + n + max(n - 1, 0) * interior
        for n, (lo, hi, interior) in zip(shape, config)
    )


@pad_p.def_abstract_eval
def pad_abstract_eval(x: ShapedArray, *, padding_config: tuple) -> ShapedArray:
    if len(padding_config) != x.ndim or any(min(c) < 0 for c in padding_config):
        raise ShapeError(
            f"`pad` needs one non-negative (low, high, interior) triple per "
            f"axis of {x.str_short()}, got {padding_config}."
        )
    return x.update(shape=_pad_shape(x.shape, padding_config))


def pad_transpose(ct: Any, x: Any, *, padding_config: tuple) -> list[Any]:
    starts, limits, strides = [], [], []
    for (lo, _, interior), n in zip(padding_config, x.aval.shape):
        starts.append(lo)
        limits.append(lo + (n - 1) * (interior + 1) + 1 if n else lo)
        strides.append(interior + 1)
    return [slice(ct, starts, limits, strides)]


deflinear_jvp(pad_p)
transpose_rules[pad_p] = pad_transpose

rev_p = Primitive("rev")


def rev(x: Any, dimensions: Sequence[int]) -> Any:
    if not dimensions:
        return x
    return rev_p.bind(x, dimensions=tuple(sorted(dimensions)))


@rev_p.def_impl
def rev_impl(x: Any, *, dimensions: tuple) -> Any:
    return np.flip(x, dimensions)


@rev_p.def_abstract_eval
def rev_abstract_eval(x: ShapedArray, *, dimensions: tuple) -> ShapedArray:
    if any(not 0 <= d < x.ndim for d in dimensions):
        raise ShapeError(
            f"`rev`: dimensions {dimensions} out of range for {x.str_short()}."
        )
    return x


def rev_transpose(ct: Any, x: Any, *, dimensions: tuple) -> list[Any]:
    return [rev(ct, dimensions)]


deflinear_jvp(rev_p)
transpose_rules[rev_p] = rev_transpose

# --- concatenate --------------------------------------------------------------

concatenate_p = Primitive("concatenate")


def concatenate(operands: Sequence[Any], dimension: int) -> Any:
    if len(operands) == 1:
        return operands[0]
    return concatenate_p.bind(*operands, dimension=dimension)


@concatenate_p.def_impl
def concatenate_impl(*operands: Any, dimension: int) -> Any:
    return np.concatenate(operands, axis=dimension)


@concatenate_p.def_abstract_eval
def concatenate_abstract_eval(*avals: ShapedArray, dimension: int) -> ShapedArray:
    dtype = same_dtype("concatenate", avals)
    first = avals[0]
    for a in avals:
        if a.ndim != first.ndim or any(
            s != t
            for i, (s, t) in enumerate(zip(a.shape, first.shape))
            if i != dimension
        ):
            shapes = ", ".join(str(b.shape) for b in avals)
            raise ShapeError(
                f"`concatenate` along axis {dimension} needs equal shapes on "
                f"the other axes, got {shapes}."
            )
    size = sum(a.shape[dimension] for a in avals)
    shape = first.shape[:dimension] + (size,) + first.shape[dimension + 1 :]
    return ShapedArray(shape, dtype)


def concatenate_transpose(ct: Any, *operands: Any, dimension: int) -> list[Any]:
    shape = shape_of(ct)
    out: list[Any] = []
    offset = 0
    for x in operands:
        aval = x.aval if is_undefined(x) else get_aval(x)
        size = aval.shape[dimension]
        if is_undefined(x):
            start = [0] * len(shape)
            limit = list(shape)
            start[dimension], limit[dimension] = offset, offset + size
            out.append(slice(ct, start, limit))
        else:
            out.append(None)
        offset += size
    return out


deflinear_jvp(concatenate_p)
transpose_rules[concatenate_p] = concatenate_transpose


# --- batching -----------------------------------------------------------------
# Every rule below moves the batch axis to the front and shifts the axis
# parameters by one; the result is batched along axis 0.


def batch_to_front(x: Any, dim: int | None) -> Any:
    """Move a batched operand's batch axis to position 0 (no-op if already)."""
    if dim is None or dim == 0:
        return x
    ndim = get_aval(x).ndim
    return transpose(x, (dim,) + tuple(d for d in range(ndim) if d != dim))


def batch_materialize(x: Any, dim: int | None, size: int) -> Any:
    """A batched operand with its batch axis at 0, broadcasting unbatched ones."""
    if dim is not None:
        return batch_to_front(x, dim)
    shape = get_aval(x).shape
    return broadcast_in_dim(x, (size,) + shape, tuple(range(1, len(shape) + 1)))


def _shift(axes: Sequence[int]) -> tuple[int, ...]:
    return tuple(a + 1 for a in axes)


def broadcast_in_dim_batch(size: int, vals: Any, dims: Any, *, shape: tuple,
                           broadcast_dimensions: tuple) -> tuple[Any, int]:  # fmt: skip
    x = batch_to_front(vals[0], dims[0])
    b = get_aval(x).shape[0]
    return broadcast_in_dim(x, (b,) + shape, (0,) + _shift(broadcast_dimensions)), 0


def reshape_batch(
    size: int, vals: Any, dims: Any, *, new_sizes: tuple
) -> tuple[Any, int]:
    x = batch_to_front(vals[0], dims[0])
    return reshape_p.bind(x, new_sizes=(get_aval(x).shape[0],) + new_sizes), 0


def transpose_batch(
    size: int, vals: Any, dims: Any, *, permutation: tuple
) -> tuple[Any, int]:
    x = batch_to_front(vals[0], dims[0])
    return transpose_p.bind(x, permutation=(0,) + _shift(permutation)), 0


def squeeze_batch(
    size: int, vals: Any, dims: Any, *, dimensions: tuple
) -> tuple[Any, int]:
    return squeeze_p.bind(
        batch_to_front(vals[0], dims[0]), dimensions=_shift(dimensions)
    ), 0


def expand_dims_batch(
    size: int, vals: Any, dims: Any, *, dimensions: tuple
) -> tuple[Any, int]:
    x = batch_to_front(vals[0], dims[0])
    return expand_dims_p.bind(x, dimensions=_shift(dimensions)), 0


def slice_batch(size: int, vals: Any, dims: Any, *, start_indices: tuple,
                limit_indices: tuple, strides: tuple) -> tuple[Any, int]:  # fmt: skip
    x = batch_to_front(vals[0], dims[0])
    b = get_aval(x).shape[0]
    return slice_p.bind(
        x,
        start_indices=(0,) + start_indices,
        limit_indices=(b,) + limit_indices,
        strides=(1,) + strides,
    ), 0


def pad_batch(
    size: int, vals: Any, dims: Any, *, padding_config: tuple
) -> tuple[Any, int]:
    x = batch_to_front(vals[0], dims[0])
    return pad_p.bind(x, padding_config=((0, 0, 0),) + padding_config), 0


def rev_batch(size: int, vals: Any, dims: Any, *, dimensions: tuple) -> tuple[Any, int]:
    return rev_p.bind(
        batch_to_front(vals[0], dims[0]), dimensions=_shift(dimensions)
    ), 0


def concatenate_batch(
    size: int, vals: Any, dims: Any, *, dimension: int
) -> tuple[Any, int]:
    operands = [batch_materialize(v, d, size) for v, d in zip(vals, dims)]
    return concatenate_p.bind(*operands, dimension=dimension + 1), 0


batch_rules[broadcast_in_dim_p] = broadcast_in_dim_batch
batch_rules[reshape_p] = reshape_batch
batch_rules[transpose_p] = transpose_batch
batch_rules[squeeze_p] = squeeze_batch
batch_rules[expand_dims_p] = expand_dims_batch
batch_rules[slice_p] = slice_batch
batch_rules[pad_p] = pad_batch
batch_rules[rev_p] = rev_batch
batch_rules[concatenate_p] = concatenate_batch


# --- lowering -----------------------------------------------------------------
# A broadcast that numpy's rules express (new axes in front, length-1 axes
# stretched) is elementwise inside a fused loop: the kernel reads its
# operand through a broadcast view, so it costs no memory.


def _broadcast_is_numpy_style(
    x: Any, *, shape: tuple, broadcast_dimensions: tuple
) -> bool:
    lead = len(shape) - len(broadcast_dimensions)
    return broadcast_dimensions == tuple(range(lead, len(shape)))


def _broadcast_lowering(a: str, **_: Any) -> str:
    return a


elementwise_lowerings[broadcast_in_dim_p] = _broadcast_lowering
fusion_conditions[broadcast_in_dim_p] = _broadcast_is_numpy_style


# Statements of a whole compiled program (funcgrad.backend._whole). Values
# of shape () are numba scalars there.


def _dtype_name(aval: ShapedArray) -> str:
    return "np.bool_" if aval.dtype == np.bool_ else f"np.{aval.dtype.name}"


def _reshape_statements(out: str, x: str, *, eqn: Any) -> list[str]:
    in_aval, out_aval = eqn.invars[0].aval, eqn.outvars[0].aval
    if out_aval.shape == ():
        return [f"{out} = np.ascontiguousarray({x}).ravel()[0]"]
    if in_aval.shape == ():
        return [f"{out} = np.full({out_aval.shape}, {x}, {_dtype_name(out_aval)})"]
    return [f"{out} = np.ascontiguousarray({x}).reshape({out_aval.shape})"]


def _broadcast_statements(out: str, x: str, *, eqn: Any) -> list[str]:
    in_aval, out_aval = eqn.invars[0].aval, eqn.outvars[0].aval
    if in_aval.shape == ():
        return [f"{out} = np.full({out_aval.shape}, {x}, {_dtype_name(out_aval)})"]
    expanded = [1] * out_aval.ndim
    for d, size in zip(eqn.params["broadcast_dimensions"], in_aval.shape):
        expanded[d] = size
    return [
        f"{out} = np.broadcast_to(np.ascontiguousarray({x}).reshape({tuple(expanded)}), {out_aval.shape})"
    ]


def _transpose_statements(out: str, x: str, *, eqn: Any) -> list[str]:
    perm = tuple(eqn.params["permutation"])
    if perm == tuple(range(len(perm) - 1, -1, -1)):
        # numba's `np.transpose` with axes costs seconds to compile on its
        # first use in a process; `.T` does not (benchmarks: w6_rnn)
        return [f"{out} = {x}.T"]
    return [f"{out} = np.transpose({x}, {perm})"]


def _index_text(parts: Sequence[str]) -> str:
    return ", ".join(parts) if len(parts) != 1 else parts[0] + ","


def _slice_statements(out: str, x: str, *, eqn: Any) -> list[str]:
    p = eqn.params
    parts = [
        f"{s}:{e}:{st}"
        for s, e, st in zip(p["start_indices"], p["limit_indices"], p["strides"])
    ]
    return [f"{out} = {x}[{_index_text(parts)}]"]


def _pad_statements(out: str, x: str, *, eqn: Any) -> list[str]:
    in_aval, out_aval = eqn.invars[0].aval, eqn.outvars[0].aval
    parts = []
    for (lo, _, interior), n in zip(eqn.params["padding_config"], in_aval.shape):
        stop = lo + (n - 1) * (interior + 1) + 1 if n else lo
        parts.append(f"{lo}:{stop}:{interior + 1}")
    return [
        f"{out} = np.zeros({out_aval.shape}, {_dtype_name(out_aval)})",
        f"{out}[{_index_text(parts)}] = {x}",
    ]


def _rev_statements(out: str, x: str, *, eqn: Any) -> list[str]:
    ndim = eqn.invars[0].aval.ndim
    parts = ["::-1" if d in eqn.params["dimensions"] else ":" for d in range(ndim)]
    return [f"{out} = {x}[{_index_text(parts)}]"]


def _concatenate_statements(out: str, *xs: str, eqn: Any) -> list[str]:
    if any(x.aval.shape == () for x in eqn.invars):
        return None  # type: ignore[return-value]
    items = ", ".join(xs) + ("," if len(xs) == 1 else "")
    return [f"{out} = np.concatenate(({items}), axis={eqn.params['dimension']})"]


array_lowerings.update(
    {
        reshape_p: _reshape_statements,
        squeeze_p: _reshape_statements,
        expand_dims_p: _reshape_statements,
        broadcast_in_dim_p: _broadcast_statements,
        transpose_p: _transpose_statements,
        slice_p: _slice_statements,
        pad_p: _pad_statements,
        rev_p: _rev_statements,
        concatenate_p: _concatenate_statements,
    }
)
