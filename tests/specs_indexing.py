"""Specs of the indexing primitives (gather, the scatters, sort, argsort)
for the property tests of `test_primitives.py`.

The references are written independently of funcgrad: a gather or scatter
is a Python loop over the index rows, in row-major order, with the
documented handling of out-of-bounds coordinates (clamped in mode "clip";
read as 0 or dropped in mode "fill"), and numpy indexing front-ends are
checked against numpy's own indexing, `ufunc.at` and a loop over the flat
positions an index names.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from primitive_specs import (
    ALL,
    ANY,
    DISTINCT,
    F32,
    F64,
    I64,
    INTS,
    NUMERIC,
    AbstractCase,
    Case,
    Domain,
    PrimitiveSpec,
    arrays,
    aval,
    shapes,
    subsets,
)

import funcgrad.numpy as fnp
from funcgrad.numpy._indexing import getitem
from funcgrad.primitives import _indexing as ix

MODES = ("clip", "fill")

# --- references ---------------------------------------------------------------


def _place(x_shape: tuple, row: np.ndarray, axes: tuple, mode: str) -> tuple | None:
    """The index (coordinates on `axes`, full slices elsewhere) one index
    row names, or None where mode "fill" drops it."""
    index: list[Any] = [slice(None)] * len(x_shape)
    for a, i in zip(axes, row):
        n = x_shape[a]
        if not 0 <= i < n:
            if mode == "fill":
                return None
            i = min(max(int(i), 0), n - 1)
        index[a] = int(i)
    return tuple(index)


def _gather_reference(x: np.ndarray, idx: np.ndarray, *, axes: tuple,
                      mode: str) -> np.ndarray:  # fmt: skip
    batch = idx.shape[:-1]
    rest = tuple(n for d, n in enumerate(x.shape) if d not in axes)
    out = np.zeros(batch + rest, x.dtype)
    for b in np.ndindex(*batch):
        place = _place(x.shape, idx[b], axes, mode)
        if place is not None:
            out[b] = x[place]
    return out


def _scatter_reference(combine: Any) -> Any:
    def reference(x: np.ndarray, idx: np.ndarray, updates: np.ndarray, *,
                  axes: tuple, mode: str) -> np.ndarray:  # fmt: skip
        out = x.copy()
        for b in np.ndindex(*idx.shape[:-1]):
            place = _place(x.shape, idx[b], axes, mode)
            if place is not None:
                out[place] = combine(out[place], updates[b])
        return out

    return reference


def _replace(old: Any, new: Any) -> Any:
    return new


# --- cases ----------------------------------------------------------------------


@st.composite
def _index_rows(draw: Any, x_shape: tuple, axes: tuple) -> np.ndarray:
    """Index rows within the axes (the batching test shuffles them, which
    moves coordinates between axes, so modes still matter there)."""
    batch = draw(shapes(min_dims=0, max_dims=2, min_side=0, max_side=3))
    dtype = draw(st.sampled_from(INTS))
    columns = [draw(arrays(dtype, batch, Domain(0, x_shape[a] - 1))) for a in axes]
    return np.stack(columns, -1).astype(dtype)


@st.composite
def _gather_case(draw: Any, dtype: np.dtype) -> Case:
    x = draw(arrays(dtype, shapes(min_dims=1, min_side=1, max_side=4)))
    axes = draw(subsets(x.ndim, min_size=1))
    idx = draw(_index_rows(x.shape, axes))
    return (x, idx), {"axes": axes, "mode": draw(st.sampled_from(MODES))}


def _scatter_cases(distinct: bool = False) -> Any:
    @st.composite
    def draw_case(draw: Any, dtype: np.dtype) -> Case:
        max_side = 3 if distinct else 4
        x_shape = draw(shapes(min_dims=1, max_dims=2 if distinct else 3,
                              min_side=1, max_side=max_side))  # fmt: skip
        axes = draw(subsets(len(x_shape), min_size=1))
        idx = draw(_index_rows(x_shape, axes))
        rest = tuple(n for d, n in enumerate(x_shape) if d not in axes)
        u_shape = idx.shape[:-1] + rest
        if distinct:
            # No ties between any two values, for the choosing scatters.
            size = int(np.prod(x_shape)) + int(np.prod(u_shape))
            both = draw(arrays(dtype, (size,), DISTINCT))
            x = both[: int(np.prod(x_shape))].reshape(x_shape)
            updates = both[x.size :].reshape(u_shape)
        else:
            x = draw(arrays(dtype, x_shape))
            updates = draw(arrays(dtype, u_shape))
        mode = draw(st.sampled_from(MODES))
        return (x, idx, updates), {"axes": axes, "mode": mode}

    return draw_case


@st.composite
def _sort_case(draw: Any, dtype: np.dtype) -> Case:
    x = draw(arrays(dtype, shapes(min_dims=1), DISTINCT))
    return (x,), {"axis": draw(st.integers(0, x.ndim - 1))}


@st.composite
def _argsort_case(draw: Any, dtype: np.dtype) -> Case:
    # Ties are likely in small integer and boolean arrays: stability counts.
    x = draw(arrays(dtype, shapes(min_dims=1)))
    return (x,), {"axis": draw(st.integers(0, x.ndim - 1))}


def _sort_reference(x: np.ndarray, *, axis: int) -> np.ndarray:
    return np.sort(x, axis=axis, kind="stable")


def _argsort_reference(x: np.ndarray, *, axis: int) -> np.ndarray:
    return np.argsort(x, axis=axis, kind="stable")


# --- numpy-style indices ----------------------------------------------------------


@st.composite
def fancy_indices(draw: Any, shape: tuple, need_array: bool = True) -> tuple:
    """A numpy index for `shape` (sides >= 1) with integer arrays (negative
    values included) or one boolean mask, mixed with slices, integers,
    `None` and `...`."""
    batch = draw(shapes(min_dims=1, max_dims=2, min_side=1, max_side=3))
    entries: list[Any] = []
    for n in shape:
        kind = draw(st.sampled_from(["slice", "int", "array", "array"]))
        if kind == "slice":
            entries.append(draw(st.slices(n)))
        elif kind == "int":
            entries.append(draw(st.integers(-n, n - 1)))
        else:
            # A shape that broadcasts to `batch`: ones and dropped leading axes.
            lead = draw(st.integers(0, len(batch) - 1))
            own = tuple(draw(st.sampled_from([s, 1])) for s in batch[lead:])
            entries.append(draw(arrays(I64, own, Domain(-n, n - 1))))
    arrays_at = [k for k, e in enumerate(entries) if isinstance(e, np.ndarray)]
    if need_array and not arrays_at:
        k = draw(st.integers(0, len(shape) - 1))
        entries[k] = draw(arrays(I64, batch, Domain(-shape[k], shape[k] - 1)))
        arrays_at = [k]
    if arrays_at and draw(st.integers(0, 3)) == 0:
        # One boolean mask instead of the arrays.
        k = arrays_at[0]
        for j in arrays_at[1:]:
            entries[j] = slice(None)
        entries[k] = draw(arrays(np.dtype(bool), (shape[k],)))
    for _ in range(draw(st.integers(0, 2))):
        entries.insert(draw(st.integers(0, len(entries))), None)
    if draw(st.booleans()):
        entries.insert(draw(st.integers(0, len(entries))), Ellipsis)
    return tuple(entries)


@st.composite
def _getitem_case(draw: Any, dtype: np.dtype) -> Case:
    x = draw(arrays(dtype, shapes(min_dims=1, min_side=1, max_side=4)))
    return (x,), {"index": draw(fancy_indices(x.shape))}


def _getitem(x: Any, *, index: tuple) -> Any:
    return getitem(x, index)


def _getitem_reference(x: np.ndarray, *, index: tuple) -> np.ndarray:
    return np.asarray(x[index])


def _at_cases(domain: Domain = ANY) -> Any:
    @st.composite
    def draw_case(draw: Any, dtype: np.dtype) -> Case:
        max_dims = 2 if domain.unique else 3
        x_shape = draw(shapes(min_dims=1, max_dims=max_dims, min_side=1, max_side=3))
        index = draw(fancy_indices(x_shape))
        target = np.zeros(x_shape)[index].shape
        v_shape = target[draw(st.integers(0, len(target))) :]
        if domain.unique:
            size = int(np.prod(x_shape)) + int(np.prod(v_shape))
            both = draw(arrays(dtype, (size,), domain))
            x = both[: int(np.prod(x_shape))].reshape(x_shape)
            v = both[x.size :].reshape(v_shape)
        else:
            x, v = draw(arrays(dtype, x_shape)), draw(arrays(dtype, v_shape))
        return (x, v), {"index": index}

    return draw_case


def _at(op: str) -> Any:
    def fun(x: Any, v: Any, *, index: tuple) -> Any:
        return getattr(fnp.at(x)[index], op)(v)

    fun.__name__ = f"at_{op}"
    return fun


def _at_reference(combine: Any) -> Any:
    """Apply the update one flat position at a time, in numpy's row-major
    order over the index, so repeated positions combine in turn."""

    def reference(x: np.ndarray, v: np.ndarray, *, index: tuple) -> np.ndarray:
        positions = np.arange(x.size).reshape(x.shape)[index]
        values = np.broadcast_to(v, positions.shape)
        out = x.copy()
        for p, value in zip(positions.ravel(), values.ravel()):
            out.flat[p] = combine(out.flat[p], value)
        return out

    return reference


# --- the specs ---------------------------------------------------------------------


def _gather_errors() -> dict[str, tuple[AbstractCase, ...]]:
    params = {"axes": (0,), "mode": "clip"}
    return {
        "shape_errors": (
            AbstractCase((aval((3, 4)), aval((2, 2), I64)), params),
            AbstractCase((aval((3, 4)), aval((2, 1), I64)), {**params, "axes": (2,)}),
        ),
        "dtype_errors": (AbstractCase((aval((3, 4)), aval((2, 1))), params),),
    }  # fmt: skip


def _scatter_errors() -> dict[str, tuple[AbstractCase, ...]]:
    params = {"axes": (0,), "mode": "fill"}
    return {
        "shape_errors": (
            AbstractCase((aval((3, 4)), aval((2, 1), I64), aval((2, 3))), params),
        ),
        "dtype_errors": (
            AbstractCase((aval((3, 4)), aval((2, 1), I64), aval((2, 4), F32)), params),
            AbstractCase((aval((3, 4)), aval((2, 1)), aval((2, 4))), params),
        ),
    }  # fmt: skip


def indexing_specs() -> list[PrimitiveSpec]:
    scatters = [
        ("scatter", _replace, ALL, 2, True, False),
        ("scatter_add", np.add, NUMERIC, 2, True, False),
        ("scatter_mul", np.multiply, NUMERIC, 2, True, False),
        ("scatter_min", np.minimum, NUMERIC, 1, False, True),
        ("scatter_max", np.maximum, NUMERIC, 1, False, True),
    ]
    specs = [
        PrimitiveSpec(
            "gather", ix.gather_p, ix.gather, _gather_reference, _gather_case,
            ALL, linear=True, **_gather_errors(),
        ),
        PrimitiveSpec(
            "sort", ix.sort_p, ix.sort, _sort_reference, _sort_case, NUMERIC,
            shape_errors=(AbstractCase((aval((3,)),), {"axis": 1}),),
        ),
        PrimitiveSpec(
            "argsort", ix.argsort_p, ix.argsort, _argsort_reference,
            _argsort_case, ALL, order=0, zero_derivative=True,
            out_dtype=lambda dtype, params: I64,
            shape_errors=(AbstractCase((aval(()),), {"axis": 0}),),
        ),
        # Through `funcgrad.numpy`: fancy indexing and `at[...]` updates.
        PrimitiveSpec(
            "gather/getitem", ix.gather_p, _getitem, _getitem_reference,
            _getitem_case, ALL, linear=True,
        ),
    ]  # fmt: skip
    for name, combine, dtypes, order, linear, distinct in scatters:
        specs.append(
            PrimitiveSpec(
                name, getattr(ix, f"{name}_p"), getattr(ix, name),
                _scatter_reference(combine), _scatter_cases(distinct), dtypes,
                order=order, linear=linear, **_scatter_errors(),
            )
        )  # fmt: skip
    for op, name, combine, dtypes, order, domain in [
        ("set", "scatter", _replace, ALL, 2, ANY),
        ("add", "scatter_add", np.add, NUMERIC, 2, ANY),
        ("multiply", "scatter_mul", np.multiply, NUMERIC, 2, ANY),
        ("max", "scatter_max", np.maximum, NUMERIC, 1, DISTINCT),
        ("min", "scatter_min", np.minimum, NUMERIC, 1, DISTINCT),
    ]:
        specs.append(
            PrimitiveSpec(
                f"{name}/at.{op}", getattr(ix, f"{name}_p"), _at(op),
                _at_reference(combine), _at_cases(domain), dtypes, order=order,
                linear=name not in ("scatter_max", "scatter_min"),
            )
        )  # fmt: skip
    return specs


__all__ = ["F64", "fancy_indices", "indexing_specs"]
