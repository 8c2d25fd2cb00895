"""The public transformations: results, pytrees, nesting and bad input."""

from __future__ import annotations

import collections
import dataclasses

import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad.core import typecheck_jaxpr
from funcgrad.errors import ConcretizationError, FuncgradError, TracerLeakError
from funcgrad.testing import arrays, check_derivatives, check_dot_product, shapes


def numeric_grad(f, x, eps=1e-6):
    x = np.asarray(x, dtype=np.float64)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        g[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


# --- values -------------------------------------------------------------------


def test_grad_matches_finite_differences():
    def f(x):
        return fnp.sum(fnp.sin(x) * fnp.exp(-x * x) / (1.0 + x**2))

    x = np.linspace(-2, 2, 7)
    np.testing.assert_allclose(fg.grad(f)(x), numeric_grad(f, x), rtol=1e-6, atol=1e-9)
    # And on drawn inputs of drawn shapes, every derivative property.
    check_derivatives(f, arrays(shape=shapes()))


def test_grad_returns_plain_writeable_numpy_arrays():
    g = fg.grad(lambda x: fnp.sum(x))(np.ones((2, 3)))
    assert type(g) is np.ndarray and g.flags.writeable
    g[0, 0] = 5.0  # a broadcast view would refuse this


def test_grad_of_python_float_is_a_0d_float64_array():
    g = fg.grad(lambda x: x * x)(3.0)
    assert type(g) is np.ndarray and g.shape == () and g.dtype == np.float64
    assert float(g) == 6.0


def test_float32_stays_float32_through_derivatives():
    x = np.linspace(-1, 1, 4, dtype=np.float32)
    w = np.ones((4, 2), np.float32)

    def f(x, w):
        return fnp.mean(fnp.tanh(x @ w) ** 2) + fnp.sum(x * 0.5)

    gx, gw = fg.grad(f, argnums=(0, 1))(x, w)
    assert gx.dtype == np.float32 and gw.dtype == np.float32
    _, t = fg.jvp(f, (x, w), (x, w))
    assert t.dtype == np.float32


def test_value_and_grad_and_has_aux():
    def f(x):
        y = fnp.sum(x**2)
        return y, {"norm": fnp.sqrt(y), "label": "aux"}

    (value, aux), g = fg.value_and_grad(f, has_aux=True)(np.array([3.0, 4.0]))
    assert float(value) == 25.0 and float(aux["norm"]) == 5.0 and aux["label"] == "aux"
    np.testing.assert_allclose(g, [6.0, 8.0])
    g2, aux2 = fg.grad(f, has_aux=True)(np.array([3.0, 4.0]))
    np.testing.assert_allclose(g2, g)
    assert type(aux2["norm"]) is np.ndarray


def test_argnums_int_and_tuple_and_negative():
    def f(a, b, c):
        return fnp.sum(a * b + c)

    a, b, c = np.ones(2), 2 * np.ones(2), 3 * np.ones(2)
    np.testing.assert_allclose(fg.grad(f, argnums=1)(a, b, c), a)
    ga, gc = fg.grad(f, argnums=(0, -1))(a, b, c)
    np.testing.assert_allclose(ga, b)
    np.testing.assert_allclose(gc, np.ones(2))


Point = collections.namedtuple("Point", "x y")


@dataclasses.dataclass
class Layer:
    w: np.ndarray
    b: np.ndarray


fg.tree_util.register_dataclass(Layer)


def test_grad_over_pytrees_keeps_structure():
    params = {
        "layers": [Layer(np.ones((2, 2)), np.zeros(2)), Layer(np.eye(2), np.ones(2))],
        "point": Point(np.array(1.0), np.array(2.0)),
        "nothing": None,
    }

    def loss(p):
        h = np.array([1.0, -1.0])
        for layer in p["layers"]:
            h = fnp.tanh(h @ layer.w + layer.b)
        return fnp.sum(h) * p["point"].x + p["point"].y ** 2

    g = fg.grad(loss)(params)
    assert fg.tree_util.tree_structure(g) == fg.tree_util.tree_structure(params)
    assert isinstance(g["layers"][0], Layer) and isinstance(g["point"], Point)
    assert float(g["point"].y) == 4.0
    eps = 1e-6
    bumped = dict(params, point=Point(np.array(1.0 + eps), np.array(2.0)))
    lower = dict(params, point=Point(np.array(1.0 - eps), np.array(2.0)))
    expected = (loss(bumped) - loss(lower)) / (2 * eps)
    np.testing.assert_allclose(g["point"].x, expected, rtol=1e-6)


def test_jvp_vjp_linearize_agree():
    def f(x, y):
        return {"a": fnp.sin(x) * y, "b": fnp.sum(x**3)}

    x, y = np.array([0.1, 0.7]), np.array([2.0, -1.0])
    vx, vy = np.array([1.0, 2.0]), np.array([0.5, 0.0])
    _out, t = fg.jvp(f, (x, y), (vx, vy))
    _out2, f_jvp = fg.linearize(f, x, y)
    t2 = f_jvp(vx, vy)
    np.testing.assert_allclose(t["a"], t2["a"])
    np.testing.assert_allclose(t["a"], np.cos(x) * vx * y + np.sin(x) * vy)
    np.testing.assert_allclose(t["b"], np.sum(3 * x**2 * vx))
    # Reverse mode against forward mode: <u, J v> == <J^T u, v>.
    check_dot_product(f, (x, y))


# --- nesting ------------------------------------------------------------------


def test_second_and_third_derivatives():
    f = fnp.sin
    x = 0.3
    assert np.isclose(fg.grad(fg.grad(f))(x), -np.sin(x))
    assert np.isclose(fg.grad(fg.grad(fg.grad(f)))(x), -np.cos(x))


def test_nested_grads_do_not_confuse_perturbations():
    # d/dx [d/dy (x * y)] = d/dx x = 1, not 2.
    assert float(fg.grad(lambda x: fg.grad(lambda y: x * y)(1.0))(2.0)) == 1.0

    def f(x):
        return x * fg.grad(lambda y: x + y)(1.0)

    assert float(fg.grad(f)(3.0)) == 1.0


def test_jvp_of_grad_is_a_hessian_vector_product():
    def f(x):
        return fnp.sum(x**3) + x[0] * x[1]

    x, v = np.array([1.0, 2.0]), np.array([1.0, -1.0])
    hessian = np.array([[6 * x[0], 1.0], [1.0, 6 * x[1]]])
    _, hvp = fg.jvp(fg.grad(f), (x,), (v,))
    np.testing.assert_allclose(hvp, hessian @ v)


def test_grad_of_vjp_and_vjp_of_grad_agree():
    x = np.array([0.3, -0.4])

    def f(x):
        return fnp.sum(fnp.tanh(x) ** 2)

    hessian_rows = [fg.vjp(fg.grad(f), x)[1](e)[0] for e in np.eye(2)]
    via_grad = [fg.grad(lambda x, i=i: fg.grad(f)(x)[i])(x) for i in range(2)]
    np.testing.assert_allclose(hessian_rows, via_grad, rtol=1e-12)


def test_python_control_flow_on_values_works_under_grad_and_jvp():
    def f(x):
        if x > 0:
            return x**2
        return -x

    assert float(fg.grad(f)(3.0)) == 6.0
    assert float(fg.grad(f)(-3.0)) == -1.0
    assert float(fg.jvp(f, (2.0,), (1.0,))[1]) == 4.0

    def loop(x):
        total = x
        while total < 10.0:
            total = total * 2.0
        return total

    assert float(fg.grad(loop)(3.0)) == 4.0  # 3 -> 6 -> 12


def test_every_transform_program_typechecks():
    def f(x, w):
        return fnp.sum(fnp.tanh(x @ w) ** 2 / 2.0)

    x, w = np.ones((3, 2)), np.full((2, 4), 0.1)
    programs = [
        fg.make_jaxpr(f)(x, w),
        fg.make_jaxpr(fg.grad(f, argnums=(0, 1)))(x, w),
        fg.make_jaxpr(lambda x, w: fg.jvp(f, (x, w), (x, w)))(x, w),
        fg.make_jaxpr(lambda x: fg.vjp(f, x, w)[1](1.0))(x),
        fg.make_jaxpr(fg.grad(fg.grad(lambda x: fnp.sum(fnp.sin(x)) * 1.0)))(1.0),
    ]
    for program in programs:
        typecheck_jaxpr(program.jaxpr)


def test_stop_gradient():
    def f(x):
        return x * fg.stop_gradient(x)

    assert float(fg.grad(f)(3.0)) == 3.0
    program = fg.make_jaxpr(lambda x: fg.stop_gradient(x) * x)(1.0)
    assert "stop_gradient" in str(program)


# --- printing -----------------------------------------------------------------


def test_make_jaxpr_prints_one_typed_equation_a_line():
    text = str(
        fg.make_jaxpr(lambda x, y: fnp.sum(fnp.sin(x) * y, axis=0))(
            np.ones((2, 3), np.float32), np.float32(2.0)
        )
    )
    lines = text.splitlines()
    assert lines[0] == "{ lambda a:f32[2,3] b:f32[]. let"
    assert lines[1].strip() == "c:f32[2,3] = sin a"
    assert lines[2].strip() == "d:f32[2,3] = mul c b"
    assert lines[3].strip() == "e:f32[3] = reduce_sum[axes=(0,)] d"
    assert lines[4].strip() == "in (e,) }"


def test_make_jaxpr_static_argnums():
    program = fg.make_jaxpr(lambda x, n: x**n, static_argnums=1)(2.0, 3)
    assert "integer_pow[y=3]" in str(program)
    assert len(program.jaxpr.invars) == 1


def test_program_evaluates_like_the_function():
    def f(x):
        return fnp.max(fnp.exp(x) - x[::-1], axis=-1)

    x = np.arange(6.0).reshape(2, 3) / 3
    (out,) = fg.make_jaxpr(f)(x)(x)
    np.testing.assert_allclose(out, np.max(np.exp(x) - x[::-1], axis=-1))


# --- bad input ----------------------------------------------------------------


def test_grad_of_non_scalar_output_names_shape_and_points_to_vjp():
    with pytest.raises(
        TypeError, match=r"real scalar.*shape \(3,\).*`vjp` or `jacrev`"
    ):
        fg.grad(fnp.sin)(np.ones(3))


def test_grad_of_tuple_output_is_a_type_error():
    with pytest.raises(TypeError, match="pytree of 2 arrays"):
        fg.grad(lambda x: (x, x))(1.0)


def test_grad_of_integer_output_is_a_type_error():
    with pytest.raises(TypeError, match="int64"):
        fg.grad(lambda x: fnp.argmax(x))(np.ones(3))


def test_differentiating_an_integer_argument_names_it():
    with pytest.raises(TypeError, match=r"argument 0.*int64"):
        fg.grad(lambda x: x * 2.0)(3)
    with pytest.raises(TypeError, match=r"argument 1 \(leaf 1\).*bool"):
        fg.grad(lambda a, b: a, argnums=1)(1.0, [np.ones(2), np.array([True])])


def test_integer_argument_not_differentiated_is_fine():
    g = fg.grad(lambda x, n: fnp.sum(x**2) * n)(np.ones(2), 3)
    np.testing.assert_allclose(g, [6.0, 6.0])


def test_untraceable_argument_names_position_and_type():
    with pytest.raises(TypeError, match=r"argument 0 is a str"):
        fg.grad(lambda s: 1.0)("hello")
    with pytest.raises(TypeError, match=r"argument 1 is a object"):
        fg.make_jaxpr(lambda a, b: a)(1.0, object())
    # A string that is not differentiated passes through.
    assert (
        float(
            fg.grad(lambda x, mode: x * 2.0 if mode == "double" else x)(1.0, "double")
        )
        == 2.0
    )


def test_shape_mismatch_names_operation_and_both_shapes():
    with pytest.raises(ValueError, match=r"`add`.*\(3,\) and \(4,\)"):
        fg.grad(lambda x: fnp.sum(x + np.ones(4)))(np.ones(3))
    with pytest.raises(ValueError, match=r"matmul.*\(2, 3\).*\(2, 3\)"):
        fg.make_jaxpr(lambda a: a @ a)(np.ones((2, 3)))


def test_bad_argnums():
    with pytest.raises(ValueError, match="argnums=2"):
        fg.grad(lambda x: x, argnums=2)(1.0)


def test_vjp_checks_cotangent_shape():
    _, f_vjp = fg.vjp(fnp.sin, np.ones(3))
    with pytest.raises(TypeError, match=r"shape \(2,\).*\(3,\)"):
        f_vjp(np.ones(2))


def test_jvp_checks_tangent_shape_and_structure():
    with pytest.raises(TypeError, match="shape"):
        fg.jvp(fnp.sin, (np.ones(3),), (np.ones(2),))
    with pytest.raises(ValueError, match="structure"):
        fg.jvp(lambda a, b: a, (1.0, 2.0), (1.0,))
    with pytest.raises(TypeError, match="tuples"):
        fg.jvp(fnp.sin, np.ones(3), np.ones(3))


def test_if_on_staged_value_explains_and_suggests():
    def f(x):
        return x if x > 0 else -x

    with pytest.raises(ConcretizationError, match=r"static_argnums.*where"):
        fg.make_jaxpr(f)(1.0)


def test_numpy_on_traced_value_is_a_clear_error():
    with pytest.raises(ConcretizationError, match=r"funcgrad\.numpy"):
        fg.grad(lambda x: np.asarray(x).sum())(np.ones(2))


def test_numpy_ufunc_on_tracer_is_routed_to_funcgrad():
    g = fg.grad(lambda x: np.sum(np.sin(x) * np.ones(3)))(np.zeros(3))
    np.testing.assert_allclose(g, np.ones(3))


def test_leaked_tracer_is_reported():
    leaked = []

    def f(x):
        leaked.append(x)
        return x * 2.0

    fg.grad(f)(1.0)
    with pytest.raises(TracerLeakError, match="escaped"):
        fnp.sin(leaked[0])


def test_assignment_into_traced_array_is_refused():
    def f(x):
        x[0] = 1.0
        return fnp.sum(x)

    with pytest.raises(TypeError, match="in place"):
        fg.grad(f)(np.ones(3))


def test_errors_share_a_root():
    with pytest.raises(FuncgradError):
        fg.grad(fnp.sin)(np.ones(3))


# --- regressions found by review ----------------------------------------------


def test_float_and_item_refuse_to_drop_a_derivative():
    import math

    for f in (lambda x: float(x) * x, lambda x: math.sin(x), lambda x: x.item() * x):
        with pytest.raises(
            ConcretizationError, match="drop its derivative.*stop_gradient"
        ):
            fg.grad(f)(3.0)
    assert float(fg.grad(lambda x: x * float(fg.stop_gradient(x)))(3.0)) == 3.0
    assert float(fg.grad(lambda x: x * int(x))(3.0)) == 3.0  # piecewise constant


def test_repeated_argnums_are_refused():
    with pytest.raises(ValueError, match="twice"):
        fg.grad(lambda x, y: fnp.sum(x * y), argnums=(0, -2))(np.ones(2), np.ones(2))
    with pytest.raises(TypeError, match="int or a tuple of ints"):
        fg.grad(lambda x: x, argnums="x")(1.0)


@pytest.mark.filterwarnings("ignore:Degrees of freedom")
def test_var_with_ddof_past_the_sample_size_matches_numpy():
    x = np.array([0.5, -1.0, 2.0])
    with np.errstate(divide="ignore", invalid="ignore"):
        for ddof in (3, 4):
            np.testing.assert_array_equal(
                fg.jit(lambda x, d=ddof: fnp.var(x, ddof=d))(x), np.var(x, ddof=ddof)
            )


def test_out_of_range_out_axes_is_an_error():
    with pytest.raises(ValueError, match="out of range"):
        fg.vmap(lambda x: x * 2, out_axes=2)(np.ones((2, 3)))
    with pytest.raises(ValueError, match="out of range"):
        fg.vmap(lambda x: (x, 3.0), out_axes=(0, 1))(np.ones(4))
    with pytest.raises(TypeError, match="ints or None"):
        fg.vmap(lambda x: x, in_axes=(0.0,))(np.ones(3))


def test_jvp_refuses_a_nonzero_tangent_for_an_integer_primal():
    with pytest.raises(TypeError, match="int64.*no derivative"):
        fg.jvp(lambda x: x * 2, (np.arange(3),), (np.ones(3),))
    _, t = fg.jvp(lambda x, n: x * n, (np.ones(2), 3), (np.ones(2), 0))
    np.testing.assert_array_equal(t, [3.0, 3.0])


def test_complex_inputs_are_differentiated_in_jax_convention():
    # |z| at 3 + 4j: df/dx - i df/dy = (3 - 4i) / 5 (more in test_complex.py)
    np.testing.assert_allclose(fg.grad(fnp.abs)(np.array(3 + 4j)), (3 - 4j) / 5)
    _, t = fg.jvp(fnp.abs, (np.array([3 + 4j]),), (np.array([1 + 0j]),))
    np.testing.assert_allclose(t, [0.6])
    with pytest.raises(TypeError, match="holomorphic=True"):
        fg.grad(lambda z: z * z)(np.array(1 + 2j))


def test_static_arguments_are_static_however_passed():
    x = np.ones(2)
    assert fg.jit(lambda x, n: fnp.stack([x] * n), static_argnames="n")(x, 2).shape == (
        2,
        2,
    )
    np.testing.assert_array_equal(
        fg.jit(lambda x, n: fnp.ones(n) * x, static_argnums=1)(1.0, n=3), np.ones(3)
    )
    with pytest.raises(ValueError, match="out of range"):
        fg.jit(lambda x: x, static_argnums=3)
    with pytest.raises(ValueError, match="not a parameter"):
        fg.jit(lambda x: x, static_argnames="nope")


def test_jit_never_returns_an_alias_of_its_input():
    a = np.ones(2)
    b = fg.jit(lambda x: x)(a)
    a[0] = 5.0
    assert b[0] == 1.0


def test_missing_numpy_functions_are_named_honestly():
    with pytest.raises(TypeError, match="has no `spacing` yet"):
        fg.jit(np.spacing)(np.ones(2))
    with pytest.raises(TypeError, match="bit shifts"):
        fg.jit(lambda x: x << 2)(np.ones(2, np.int64))
    with pytest.raises(AttributeError, match="no attribute or method `searchsorted`"):
        fg.grad(lambda x: x.searchsorted(0.5))(np.ones(2))
    with pytest.raises(ConcretizationError, match="`ones`'s shape"):
        fg.jit(lambda n: fnp.ones(n))(3)
    with pytest.raises(TypeError, match="axis"):
        fg.jit(lambda x: fnp.sum(x, axis=0.0))(np.ones(2))


def test_checkpoint_takes_keywords_and_static_arguments():
    assert (
        float(fg.grad(lambda x: fg.checkpoint(lambda x, y: x * y)(x, y=2.0))(1.0))
        == 2.0
    )
    f = fg.checkpoint(lambda x, flag: x if flag else -x, static_argnums=1)
    assert float(fg.grad(lambda x: f(x, False))(1.0)) == -1.0
