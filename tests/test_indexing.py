"""Tests of `funcgrad.numpy._indexing` and `funcgrad.primitives._indexing`:
fancy indexing of traced arrays, `take`, `take_along_axis`, functional
updates (`x.at[i]`), `sort` and `argsort`, against numpy, finite
differences and worked-out derivatives, under `grad`, `jit` and `vmap`.

The property tests of the primitives themselves are generated from
`specs_indexing.py` in `test_primitives.py`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from primitive_specs import SPECS
from specs_indexing import fancy_indices

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad.errors import ConcretizationError, FuncgradTypeError, ShapeError
from funcgrad.primitives import _indexing as ix
from funcgrad.test_util import check_grads
from funcgrad.transforms import UndefinedPrimal, transpose_rules

# specs_indexing is loaded through primitive_specs (which it imports).
assert any(spec.primitive is ix.gather_p for spec in SPECS)
RNG = np.random.default_rng(0)
X3 = RNG.standard_normal((3, 4, 5))
S = slice

# --- reading --------------------------------------------------------------------

INDEX_FORMS = [
    np.array([0, 2, -1]),
    [1, 1, 0],
    [],
    np.array([[0, 1], [2, 2]]),
    (0, S(None), [1, 2]),  # separated by a slice: to the front
    ([0], None, [0]),  # separated by None: to the front
    (S(None), [0, 1], [3, -1]),  # adjacent: in place
    (S(None), [0, 1], None),
    (None, [0], [1]),
    (Ellipsis, [1, -1]),
    ([0, 1], Ellipsis, [2, 3]),  # `...` separates even when it is empty-ish
    (np.array([[0], [2]]), S(None, None, -2), np.array([1, 3, 4])),
    (1, [0, 3], S(None, None, 2)),
    (S(None, None, -1), [True, False, True, False]),
    (X3[:, :, 0] > 0,),
    (np.array([True, False, True]), 0),
    (S(1, None), S(None), np.array([[[4]]])),
    (np.int64(2), [0, 0], [4, 4]),
]


@pytest.mark.parametrize("index", INDEX_FORMS, ids=repr)
def test_index_forms_match_numpy_eagerly_and_under_jit(index: Any) -> None:
    want = X3[index]

    staged = fg.jit(lambda x: x[index])(X3)
    differentiated = fg.vjp(lambda x: x[index], X3)[0]

    assert staged.shape == want.shape and differentiated.shape == want.shape
    np.testing.assert_array_equal(staged, want)
    np.testing.assert_array_equal(differentiated, want)


@given(data=st.data())
def test_random_fancy_indices_and_their_gradients(data: Any) -> None:
    shape = data.draw(st.sampled_from([(4,), (3, 4), (2, 3, 4)]), label="shape")
    index = data.draw(fancy_indices(shape), label="index")
    x = RNG.standard_normal(shape)
    want = x[index]
    w = RNG.standard_normal(want.shape)

    out, f_vjp = fg.vjp(lambda a: a[index], x)
    (ct,) = f_vjp(w)

    np.testing.assert_array_equal(out, want)
    # The transpose of reading is adding into the positions read.
    expected = np.zeros_like(x)
    np.add.at(expected, index, w)
    np.testing.assert_allclose(ct, expected, rtol=1e-12, atol=1e-12)


@given(data=st.data())
def test_random_indices_traced_under_jit_match_numpy(data: Any) -> None:
    shape = data.draw(st.sampled_from([(4,), (3, 4), (2, 3, 4)]), label="shape")
    index = data.draw(fancy_indices(shape), label="index")
    # Integer arrays become arguments of the jitted function: traced there.
    traced = [
        k for k, e in enumerate(index) if isinstance(e, np.ndarray) and e.dtype != bool
    ]
    x = RNG.standard_normal(shape)

    def rebuild(arrays: Any) -> tuple:
        entries = list(index)
        for k, a in zip(traced, arrays):
            entries[k] = a
        return tuple(entries)

    read = fg.jit(lambda a, arrays: a[rebuild(arrays)])
    add = fg.jit(lambda a, arrays, u: a.at[rebuild(arrays)].add(u))
    arrays = [index[k] for k in traced]
    v = RNG.standard_normal(x[index].shape)

    np.testing.assert_array_equal(read(x, arrays), x[index])
    want = x.copy()
    np.add.at(want, index, v)
    np.testing.assert_allclose(add(x, arrays, v), want, rtol=1e-12, atol=1e-12)


def test_repeated_indices_accumulate_in_the_gradient() -> None:
    w = np.array([1.0, 10.0, 100.0])

    def loss(x: Any) -> Any:
        return fnp.sum(x[np.array([0, 0, 2])] * w)

    x = np.array([0.5, -1.0, 2.0])
    want = np.array([11.0, 0.0, 100.0])
    np.testing.assert_array_equal(fg.grad(loss)(x), want)
    np.testing.assert_array_equal(fg.jit(fg.grad(loss))(x), want)
    np.testing.assert_array_equal(
        fg.vmap(fg.grad(loss))(np.stack([x, 2 * x])), np.stack([want, want])
    )
    np.testing.assert_array_equal(fg.jacrev(lambda v: v[[0, 0, 2]] @ w)(x), want)


def test_traced_indices_work_under_jit_and_grad() -> None:
    def f(x: Any) -> Any:
        rows = fnp.argmax(x, axis=1)
        return fnp.sum(x[np.arange(3), rows] ** 2) + x[fnp.argmin(x[0])].sum()

    x = RNG.standard_normal((3, 4))
    rows = np.argmax(x, axis=1)
    want = np.sum(x[np.arange(3), rows] ** 2) + x[np.argmin(x[0])].sum()
    grad_want = np.zeros_like(x)
    grad_want[np.arange(3), rows] += 2 * x[np.arange(3), rows]
    grad_want[np.argmin(x[0])] += 1.0

    np.testing.assert_allclose(fg.jit(f)(x), want, rtol=1e-12)
    np.testing.assert_allclose(fg.grad(f)(x), grad_want, rtol=1e-12)
    np.testing.assert_allclose(fg.jit(fg.grad(f))(x), grad_want, rtol=1e-12)


def test_traced_indices_wrap_negatives_once_and_clamp_the_rest() -> None:
    x = np.arange(5.0)
    read = fg.jit(lambda a, i: a[i])

    got = read(x, np.array([-1, -5, 4, 5, 9, -6, -100]))

    np.testing.assert_array_equal(got, [4.0, 0.0, 4.0, 4.0, 4.0, 0.0, 0.0])
    assert read(x, np.int64(-2)) == 3.0


def test_traced_out_of_bounds_updates_are_dropped() -> None:
    update = fg.jit(lambda a, i: a.at[i].add(1.0))

    got = update(np.zeros(4), np.array([0, 7, -1, -9, 0]))

    np.testing.assert_array_equal(got, [2.0, 0.0, 0.0, 1.0])


def test_derivatives_follow_the_clamping_and_dropping_of_traced_indices() -> None:
    w = np.array([1.0, 10.0, 100.0])
    i = np.array([9, -1, -7])  # clamped to 2, wrapped to 2, clamped to 0

    def read(x: Any, i: Any) -> Any:
        return fnp.sum(x[i] * w)

    def write(v: Any, i: Any) -> Any:
        return fnp.sum(fnp.at(np.zeros(3))[i].add(v) * w)

    np.testing.assert_array_equal(fg.jit(fg.grad(read))(np.ones(3), i), [100, 0, 11])
    # The update to 9 is dropped, -1 lands on 2, -7 is dropped.
    np.testing.assert_array_equal(fg.jit(fg.grad(write))(np.ones(3), i), [0, 100, 0])


@pytest.mark.parametrize(
    "index", [np.array([3]), [0, -4], (0, [5]), ([0], [0], [0])], ids=repr
)
def test_concrete_out_of_bounds_indices_raise_like_numpy(index: Any) -> None:
    x = np.ones((3, 4))
    with pytest.raises(IndexError):
        x[index]
    with pytest.raises(IndexError, match="out of bounds|too many"):
        fg.jit(lambda a: a[index])(x)
    with pytest.raises(IndexError, match="out of bounds|too many"):
        fg.jit(lambda a: a.at[index].set(0.0))(x)


@pytest.mark.parametrize(
    "index",
    [
        (np.array([0, 1]), np.array([0, 1, 2])),
        np.array([True, False]),
        np.array([1.0]),
    ],
    ids=repr,
)
def test_bad_index_arrays_raise_index_error_like_numpy(index: Any) -> None:
    x = np.ones((3, 4))
    with pytest.raises(IndexError):
        x[index]
    with pytest.raises(IndexError):
        fg.grad(lambda a: fnp.sum(a[index]))(x)


def test_a_concrete_mask_works_under_grad_and_a_traced_one_points_to_where() -> None:
    x = RNG.standard_normal((3, 4))

    grad = fg.grad(lambda a: fnp.sum(a[a > 0] ** 2))(x)

    np.testing.assert_allclose(grad, np.where(x > 0, 2 * x, 0.0))
    with pytest.raises(ConcretizationError, match="where"):
        fg.jit(lambda a: a[a > 0])(x)


def test_assigning_into_a_traced_array_names_at() -> None:
    def f(x: Any) -> Any:
        x[0] = 1.0
        return x

    with pytest.raises(FuncgradTypeError, match=r"x\.at\[i\]\.set\(v\)"):
        fg.jit(f)(np.zeros(3))


# --- batching ---------------------------------------------------------------------


def test_vmap_over_index_arrays_and_operands_matches_a_loop() -> None:
    x = RNG.standard_normal((4, 3, 5))
    idx = RNG.integers(-5, 5, size=(4, 2))

    def f(a: Any, i: Any) -> Any:
        # `a` is a plain numpy array where it is not batched, and numpy
        # cannot index with a tracer: `at(a)[...].get()` can.
        return fnp.at(a)[1:, i].get() * 2.0

    for in_axes in [(0, 0), (None, 0), (0, None), (2, 0)]:
        a_batched = np.moveaxis(x, 0, in_axes[0]) if in_axes[0] is not None else x[0]
        i_batched = idx if in_axes[1] is not None else idx[0]
        got = fg.vmap(f, in_axes=in_axes)(a_batched, i_batched)
        want = np.stack(
            [
                (x[b] if in_axes[0] is not None else x[0])[1:, i_batched[b]
                if in_axes[1] is not None else i_batched] * 2.0
                for b in range(4)
            ]
        )  # fmt: skip
        np.testing.assert_array_equal(got, want)


def test_vmap_of_updates_with_batched_indices_matches_a_loop() -> None:
    x = RNG.standard_normal((3, 5))
    idx = np.array([[0, 0, 4], [1, 2, 1], [3, 3, 3]])
    v = RNG.standard_normal((3, 3))

    for op, combine in [
        ("add", np.add),
        ("multiply", np.multiply),
        ("max", np.maximum),
        ("min", np.minimum),
    ]:
        got = fg.vmap(lambda a, i, u: getattr(a.at[i], op)(u))(x, idx, v)
        want = x.copy()
        for b in range(3):
            combine.at(want[b], idx[b], v[b])
        np.testing.assert_allclose(got, want, rtol=1e-12)
    got = fg.jit(fg.vmap(lambda a, i, u: a.at[i].set(u), in_axes=(None, 0, 0)))(
        x[0], idx, v
    )
    for b in range(3):
        want = x[0].copy()
        for i, u in zip(idx[b], v[b]):
            want[i] = u
        np.testing.assert_array_equal(got[b], want)


def test_vmap_of_the_gradient_of_set_with_batched_repeated_indices() -> None:
    idx = np.array([[0, 0, 1], [1, 2, 1]])
    w = np.array([1.0, 10.0, 100.0])

    def loss(v: Any, i: Any) -> Any:
        return fnp.sum(fnp.at(np.zeros(3))[i].set(v) * w)

    got = fg.vmap(fg.grad(loss))(np.ones((2, 3)), idx)

    # Of repeated writes only the last carries a derivative.
    np.testing.assert_array_equal(got, [[0.0, 1.0, 10.0], [0.0, 100.0, 10.0]])


def test_vmap_of_an_update_mixing_slices_and_batched_indices() -> None:
    x = RNG.standard_normal((3, 4))
    idx = np.array([[0, 3], [-1, -1]])
    v = RNG.standard_normal((2, 2, 2))

    got = fg.vmap(lambda i, u: fnp.at(x)[1:, i].add(u))(idx, v)

    for b in range(2):
        want = x.copy()
        np.add.at(want, (slice(1, None), idx[b]), v[b])
        np.testing.assert_allclose(got[b], want, rtol=1e-12)


# --- updates ------------------------------------------------------------------------

UPDATE_INDICES = [
    np.array([0, 2, 0]),
    (S(None), [1, -1]),
    (S(None, None, -1), 1),
    (S(1, 3), S(None, None, 2)),
    (np.array([True, False, True]),),
    ([0, 2], None, [3, 3]),
    (Ellipsis, [0, 0, 1]),
]
COMBINE = {
    "add": np.add,
    "multiply": np.multiply,
    "min": np.minimum,
    "max": np.maximum,
}


def _numpy_update(x: np.ndarray, index: Any, op: str, v: Any) -> np.ndarray:
    out = x.copy()
    if op == "set":
        out[index] = v
    else:
        COMBINE[op].at(out, index, v)
    return out


@pytest.mark.parametrize("index", UPDATE_INDICES, ids=repr)
@pytest.mark.parametrize("op", ["set", "add", "multiply", "min", "max"])
def test_updates_match_numpy(index: Any, op: str) -> None:
    x = RNG.standard_normal((3, 4))
    v = RNG.standard_normal(x[index].shape)
    want = _numpy_update(x, index, op, v)

    eager = getattr(fnp.at(x)[index], op)(v)
    staged = fg.jit(lambda a, u: getattr(a.at[index], op)(u))(x, v)

    assert type(eager) is np.ndarray
    np.testing.assert_allclose(eager, want, rtol=1e-12)
    np.testing.assert_allclose(staged, want, rtol=1e-12)
    np.testing.assert_array_equal(fg.jit(lambda a: a.at[index].get())(x), x[index])


@pytest.mark.parametrize("index", UPDATE_INDICES[:4], ids=repr)
@pytest.mark.parametrize("op", ["set", "add", "multiply", "max"])
def test_update_derivatives_match_finite_differences(index: Any, op: str) -> None:
    # Values on a coarse grid, shuffled: no ties for `max`.
    x = RNG.permutation(np.arange(12.0)).reshape(3, 4) * 0.25 - 1.4
    v = RNG.permutation(np.arange(np.zeros((3, 4))[index].size)) * 0.3 + 0.05
    v = v.reshape(np.zeros((3, 4))[index].shape)

    def f(a: Any, u: Any) -> Any:
        return fnp.sin(getattr(fnp.at(a)[index], op)(u))

    check_grads(f, (x, v), order=1 if op == "max" else 2)


def test_subtract_and_divide() -> None:
    x, v = np.array([1.0, 2.0, 4.0]), np.array([2.0, 4.0])

    np.testing.assert_array_equal(fnp.at(x)[[0, 0]].subtract(v), [-5.0, 2.0, 4.0])
    np.testing.assert_array_equal(fnp.at(x)[[2, 2]].divide(v), [1.0, 2.0, 0.5])


def test_set_with_repeated_indices_keeps_the_last_write() -> None:
    x, v = np.zeros(3), np.array([1.0, 2.0, 3.0, 4.0])
    idx = np.array([1, 1, 0, 1])

    def f(u: Any) -> Any:
        return fnp.sum(fnp.at(x)[idx].set(u) * np.array([10.0, 100.0, 1000.0]))

    np.testing.assert_array_equal(fnp.at(x)[idx].set(v), [3.0, 4.0, 0.0])
    # Only the writes that survive carry a derivative.
    np.testing.assert_array_equal(fg.grad(f)(v), [0.0, 0.0, 10.0, 100.0])
    np.testing.assert_array_equal(fg.jit(fg.grad(f))(v), [0.0, 0.0, 10.0, 100.0])
    grad_x = fg.grad(lambda a: fnp.sum(a.at[idx].set(v) * a))(np.ones(3) * 2)
    np.testing.assert_array_equal(grad_x, [3.0, 4.0, 4.0])


def test_max_ties_split_the_derivative_evenly() -> None:
    def f(a: Any, u: Any) -> Any:
        return fnp.sum(a.at[np.array([0, 0, 1])].max(u))

    grads = fg.grad(f, argnums=(0, 1))(np.array([1.0, 5.0]), np.array([1.0, 1.0, 2.0]))

    # Place 0: x[0] and both updates tie at 1; place 1: x[1] wins alone.
    np.testing.assert_allclose(grads[0], [1 / 3, 1.0])
    np.testing.assert_allclose(grads[1], [1 / 3, 1 / 3, 0.0])


def test_multiply_with_zero_updates_has_exact_derivatives() -> None:
    idx = np.array([0, 1, 0, 0])

    def f(u: Any) -> Any:
        return fnp.sum(fnp.at(np.array([2.0, 3.0]))[idx].multiply(u))

    v = np.array([0.0, 5.0, 0.0, 4.0])
    # f = 2 * v0 * v2 * v3 + 3 * v1
    grad_want = [2 * v[2] * v[3], 3.0, 2 * v[0] * v[3], 2 * v[0] * v[2]]
    hessian_want = np.zeros((4, 4))
    hessian_want[0, 2] = hessian_want[2, 0] = 2 * v[3]
    hessian_want[0, 3] = hessian_want[3, 0] = 2 * v[2]
    hessian_want[2, 3] = hessian_want[3, 2] = 2 * v[0]

    np.testing.assert_array_equal(fg.grad(f)(v), grad_want)
    np.testing.assert_array_equal(fg.hessian(f)(v), hessian_want)
    np.testing.assert_array_equal(fg.jit(fg.hessian(f))(v), hessian_want)


def test_eager_updates_leave_the_input_alone() -> None:
    x = np.zeros(3)

    out = fnp.at(x)[1].set(5.0)

    assert out is not x and not x.any() and out[1] == 5.0


def test_update_values_that_do_not_broadcast_are_refused() -> None:
    with pytest.raises(ShapeError, match=r"at\[\.\.\.\]\.add"):
        fnp.at(np.zeros((3, 4)))[[0, 1]].add(np.ones(3))


def test_scatter_mul_has_no_transpose_in_its_updates() -> None:
    rule = transpose_rules[ix.scatter_mul_p]
    aval = fg.core.ShapedArray((2,), np.float64)

    with pytest.raises(NotImplementedError, match="scatter_mul"):
        rule(np.ones(3), np.ones(3), np.zeros((2, 1), np.int64),
             UndefinedPrimal(aval), axes=(0,), mode="fill")  # fmt: skip


# --- take and take_along_axis ----------------------------------------------------


@pytest.mark.parametrize(
    ("indices", "axis", "mode"),
    [
        ([4, 0, -1], None, None),
        (np.array([[1, 0], [2, 2]]), 1, None),
        ([3, -1], -1, None),
        ([7, -9, 2], 0, "clip"),
        ([7, -9, 2], 2, "wrap"),
        (1, 1, None),
    ],
)
def test_take_matches_numpy(indices: Any, axis: Any, mode: Any) -> None:
    want = np.take(X3, indices, axis=axis, mode=mode or "raise")

    assert type(fnp.take(X3, indices, axis=axis, mode=mode)) is np.ndarray
    np.testing.assert_array_equal(
        fg.jit(lambda a: fnp.take(a, indices, axis=axis, mode=mode))(X3), want
    )
    np.testing.assert_array_equal(
        fg.jit(lambda a: a.take(indices, axis=axis, mode=mode))(X3), want
    )


def test_take_with_traced_indices_clips() -> None:
    got = fg.jit(lambda a, i: fnp.take(a, i, mode="clip"))(
        np.arange(4.0), np.array([-3, 9, 1])
    )
    np.testing.assert_array_equal(got, [0.0, 3.0, 1.0])
    with pytest.raises(FuncgradTypeError, match="wrap"):
        fg.jit(lambda a, i: fnp.take(a, i, mode="wrap"))(np.ones(3), np.array([0]))


@pytest.mark.parametrize("axis", [0, 1, -1, None])
def test_take_along_axis_matches_numpy_and_its_gradient_accumulates(axis: Any) -> None:
    x = RNG.standard_normal((3, 4))
    n = x.size if axis is None else x.shape[axis]
    shape = (5,) if axis is None else (3, 4)[: axis % 2] + (5,) + (3, 4)[axis % 2 + 1 :]
    idx = RNG.integers(-n, n, size=shape)
    w = RNG.standard_normal(shape)

    got = fg.jit(lambda a: fnp.take_along_axis(a, idx, axis))(x)
    grad = fg.grad(lambda a: fnp.sum(fnp.take_along_axis(a, idx, axis) * w))(x)

    np.testing.assert_array_equal(got, np.take_along_axis(x, idx, axis))
    expected = np.zeros(x.size if axis is None else x.shape)
    for pos in np.ndindex(*shape):
        target = list(pos)
        target[0 if axis is None else axis] = idx[pos] % n
        expected[tuple(target)] += w[pos]
    np.testing.assert_allclose(grad, expected.reshape(x.shape), rtol=1e-12)


def test_take_along_axis_broadcasts_like_numpy() -> None:
    x = RNG.standard_normal((3, 4))
    idx = np.array([[0, 3]])

    got = fg.jit(lambda a: fnp.take_along_axis(a, idx, axis=1))(x)

    np.testing.assert_array_equal(got, np.take_along_axis(x, idx, axis=1))
    with pytest.raises(ValueError, match="same number of dimensions"):
        fg.jit(lambda a: fnp.take_along_axis(a, np.array([0]), axis=1))(x)


# --- sort and argsort -----------------------------------------------------------------


@pytest.mark.parametrize("axis", [0, 1, -1, None])
def test_sort_and_argsort_match_numpy(axis: Any) -> None:
    x = np.array([[3.0, 1.0, 2.0, 1.0], [0.0, -0.0, np.nan, -1.0], [5, 5, 5, 4]])

    got = fg.jit(lambda a: (fnp.sort(a, axis=axis), fnp.argsort(a, axis=axis)))(x)

    np.testing.assert_array_equal(got[0], np.sort(x, axis=axis))
    np.testing.assert_array_equal(got[1], np.argsort(x, axis=axis, kind="stable"))
    np.testing.assert_array_equal(fnp.argsort(x, axis), np.argsort(x, axis, "stable"))
    assert got[1].dtype == np.int64


def test_sort_gradient_permutes_the_cotangent() -> None:
    x = np.array([[3.0, 1.0, 2.0], [0.5, -4.0, 9.0]])
    w = np.array([1.0, 10.0, 100.0])
    want = np.array([[100.0, 1.0, 10.0], [10.0, 1.0, 100.0]])

    def loss(a: Any) -> Any:
        return fnp.sum(fnp.sort(a) * w)

    np.testing.assert_array_equal(fg.grad(loss)(x), want)
    np.testing.assert_array_equal(fg.jit(fg.grad(loss))(x), want)
    np.testing.assert_array_equal(fg.vmap(fg.grad(loss))(x[:, None]), want[:, None])
    check_grads(lambda a: fnp.sort(a, axis=0) ** 2, (x,), order=2)


def test_argsort_has_no_derivative_but_its_indices_carry_one() -> None:
    x = np.array([0.3, -1.0, 2.0])

    grad = fg.grad(lambda a: fnp.sum(a[fnp.argsort(a)][:2] * np.array([1.0, 2.0])))(x)

    np.testing.assert_array_equal(grad, [2.0, 1.0, 0.0])
    with pytest.raises(TypeError):
        fg.grad(lambda a: fnp.sum(fnp.argsort(a)))(x)


def test_tracer_sort_method_is_refused_and_argsort_method_works() -> None:
    x = np.array([2.0, 1.0])
    np.testing.assert_array_equal(fg.jit(lambda a: a.argsort())(x), [1, 0])
    with pytest.raises(FuncgradTypeError, match="funcgrad.numpy.sort"):
        fg.jit(lambda a: a.sort())(x)


def test_take_with_mode_raise_refuses_traced_indices():
    x = np.array([3.0, 1.0, 2.0, 1.0])
    with pytest.raises(TypeError, match="mode='raise'"):
        fg.jit(lambda a, i: fnp.take(a, i, mode="raise"))(x, np.array([9]))
    # the default clamps traced indices; concrete ones are checked
    np.testing.assert_array_equal(
        fg.jit(lambda a, i: fnp.take(a, i))(x, np.array([9])), [1.0]
    )
    with pytest.raises(IndexError):
        fg.jit(lambda a: fnp.take(a, np.array([9]), mode="raise"))(x)


def test_error_messages_name_the_fix():
    with pytest.raises(TypeError, match="astype"):
        fg.jit(lambda x: x.at[1].divide(2.0))(np.arange(6).reshape(2, 3))
    table = np.arange(20.0).reshape(4, 5)
    with pytest.raises(fg.errors.ConcretizationError, match="take"):
        fg.vmap(lambda i: table[:, i])(np.array([[0, 1], [2, -1]]))
    got = fg.vmap(lambda i: fnp.take(table, i, axis=1))(np.array([[0, 1], [2, -1]]))
    np.testing.assert_array_equal(got, np.stack([table[:, [0, 1]], table[:, [2, -1]]]))
