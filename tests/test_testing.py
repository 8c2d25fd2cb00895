"""`funcgrad.testing`: strategies, adaptive `check_grads`, property checks,
`check_derivatives` and the pytest plugin.

Every check is shown to pass on a correct function and to fail, naming its
property, on one broken in the way the property is meant to catch: a wrong
`custom_jvp` rule or `custom_vjp` backward pass, a rule that is not linear,
a primitive with a wrong transpose or batching rule, an impure function.
The references are mathematics (derivatives written out by hand) and
numpy, never the code under test.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad import test_util
from funcgrad.core import Primitive
from funcgrad.testing import (
    PROPERTIES,
    DerivativeCheckError,
    arrays,
    batch_of,
    broadcastable_arrays,
    broadcastable_shapes,
    check_derivatives,
    check_dot_product,
    check_grads,
    check_hessian_symmetric,
    check_jit,
    check_jvp,
    check_jvp_linear,
    check_vjp,
    check_vmap,
    derivative_test,
    params_like,
    run_properties,
    scalars,
    shapes,
)
from funcgrad.transforms import batch_rules, deflinear_jvp, jvp_rules, transpose_rules

pytest_plugins = ["pytester"]

ROOT = pathlib.Path(__file__).parent.parent
FEW = settings(max_examples=8)


def broken(err: pytest.ExceptionInfo, *names: str) -> None:
    """The check failed naming exactly `names`, and says so in its message."""
    assert err.value.properties == names, str(err.value)
    for name in names:
        assert f"property '{name}'" in str(err.value)


# --- functions with derivatives written wrong on purpose ---------------------------


@fg.custom_jvp
def sin_twice_slope(x):
    return fnp.sin(x)


@sin_twice_slope.defjvp
def _sin_twice_slope_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return sin_twice_slope(x), 2.0 * fnp.cos(x) * t


@fg.custom_jvp
def sin_wrong_far_out(x):
    """Right for |x| <= 1, wrong beyond: the smallest failing |x| is just over 1."""
    return fnp.sin(x)


@sin_wrong_far_out.defjvp
def _sin_wrong_far_out_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    slope = fnp.where(fnp.abs(x) > 1.0, 3.0 * fnp.cos(x), fnp.cos(x))
    return sin_wrong_far_out(x), slope * t


@fg.custom_jvp
def cube_nonlinear_rule(x):
    return x**3


@cube_nonlinear_rule.defjvp
def _cube_nonlinear_rule_jvp(primals, tangents):
    # Exact for tangents of +-1 (the slope is right), but not linear in t.
    (x,), (t,) = primals, tangents
    return cube_nonlinear_rule(x), 3.0 * x**2 * t * fnp.abs(t)


@fg.custom_jvp
def product_asymmetric(x, y):
    return fnp.sum(x * y)


@product_asymmetric.defjvp
def _product_asymmetric_jvp(primals, tangents):
    # Says d/dy = x**2 instead of x: a gradient field that is no gradient.
    (x, y), (tx, ty) = primals, tangents
    return product_asymmetric(x, y), fnp.sum(tx * y + ty * x**2)


@fg.custom_vjp
def square_wrong_bwd(x):
    return x * x


def _square_fwd(x):
    return x * x, x


def _square_bwd_half(x, ct):
    return (x * ct,)  # the derivative of x**2 is 2x


square_wrong_bwd.defvjp(_square_fwd, _square_bwd_half)


@fg.custom_vjp
def square_right_bwd(x):
    return x * x


def _square_bwd(x, ct):
    return (2.0 * x * ct,)


square_right_bwd.defvjp(_square_fwd, _square_bwd)


def _scaling_primitive(name, transpose_factor=2.0, batch_factor=2.0):
    """`x -> 2 x`, linear, with transpose and batching rules that scale by
    the factors given: 2 is right, anything else is a bug in the rule."""
    p = Primitive(name)
    p.def_impl(lambda x: np.asarray(2.0 * x))
    p.def_abstract_eval(lambda x: x)
    deflinear_jvp(p)

    def transpose(ct, x):
        return [transpose_factor * ct]

    def batch(size, vals, dims):
        return batch_factor * vals[0], dims[0]

    transpose_rules[p] = transpose
    batch_rules[p] = batch
    return p


@pytest.fixture(scope="module")
def doubling():
    """Three test primitives, their rules removed from the registries after."""
    made = {
        "right": _scaling_primitive("test_double"),
        "bad_transpose": _scaling_primitive("test_double_bad_t", transpose_factor=3.0),
        "bad_batch": _scaling_primitive("test_double_bad_b", batch_factor=3.0),
    }
    yield made
    for p in made.values():
        for registry in (jvp_rules, transpose_rules, batch_rules):
            registry.pop(p, None)


def impure_counter():
    """A function that reads state it changes: it is a different function at
    every call, which neither `vmap` (one trace) nor `jit` (one cached trace)
    can reproduce."""
    calls = [0]

    def f(x):
        calls[0] += 1
        return x * float(calls[0])

    return f


# --- strategies --------------------------------------------------------------------


@FEW
@given(arrays(np.float32, (6,), min_value=-2.0, max_value=3.0, away_from=(0.0, 1.0)))
def test_arrays_keep_dtype_shape_bounds_and_margin(x):
    assert x.dtype == np.float32 and x.shape == (6,)
    assert np.all((x >= -2.0) & (x <= 3.0))
    assert np.all(np.abs(x) >= 0.1) and np.all(np.abs(x - 1.0) >= 0.1)


def test_arrays_reach_the_edges_of_the_allowed_set():
    # The margin is not wider than asked: values just outside it are drawn.
    near_kink = find(scalars(away_from=(0.0,), margin=0.25), lambda v: 0 < v < 0.26)
    assert 0.25 <= near_kink < 0.26
    near_top = find(scalars(max_value=2.0), lambda v: v > 1.99)
    assert 1.99 < near_top <= 2.0


@FEW
@given(arrays(np.float64, shapes(min_dims=1, max_dims=2, max_side=3), unique=True))
def test_arrays_with_a_shape_strategy_and_unique_values(x):
    assert 1 <= x.ndim <= 2 and max(x.shape) <= 3
    assert len(np.unique(x)) == x.size


@FEW
@given(
    arrays(
        np.float32,
        shapes(max_dims=2, max_side=3),
        min_value=-1.0,
        max_value=1.0,
        min_gap=0.05,
    )
)
def test_arrays_with_a_minimum_gap(x):
    assert x.dtype == np.float32 and np.all((x >= -1.0) & (x <= 1.0))
    if x.size > 1:
        gaps = np.diff(np.sort(x.ravel().astype(np.float64)))
        assert np.min(gaps) >= 0.05 * (1 - 1e-6)


def test_min_gap_keeps_max_smooth_where_unique_does_not():
    def f(x):
        return fnp.max(x) * fnp.sum(x)

    check_derivatives(f, arrays(shape=(3,), min_gap=0.1), settings=FEW)
    # Distinct elements can still lie within a step of each other.
    with pytest.raises(DerivativeCheckError) as err:
        check_derivatives(
            f,
            arrays(shape=(3,), unique=True),
            properties=("jvp",),
            settings=settings(max_examples=100),
        )
    broken(err, "jvp")
    with pytest.raises(ValueError, match="do not fit"):
        arrays(shape=(30,), min_value=0.0, max_value=1.0, min_gap=0.1)


def test_float16_margin_covers_its_coarser_step():
    x = find(arrays(np.float16, (3,), away_from=(0.0,)), lambda a: True)
    assert x.dtype == np.float16 and np.all(np.abs(x) >= 0.5)


def test_scalars_refuse_an_empty_set():
    with pytest.raises(ValueError, match="widen the bounds"):
        scalars(min_value=-0.1, max_value=0.1, away_from=(0.0,), margin=0.2)


@FEW
@given(broadcastable_shapes(3, max_dims=3))
def test_broadcastable_shapes_broadcast(shapes_drawn):
    assert len(shapes_drawn) == 3
    np.broadcast_shapes(*shapes_drawn)


def test_broadcastable_shapes_are_not_all_equal():
    a, b = find(broadcastable_shapes(), lambda s: s[0] != s[1])
    assert len(np.broadcast_shapes(a, b)) == max(len(a), len(b))


@FEW
@given(broadcastable_arrays(2, np.float32, away_from=(0.0,)))
def test_broadcastable_arrays(xy):
    x, y = xy
    assert x.dtype == y.dtype == np.float32
    assert np.all(np.abs(x) >= 0.1) and np.all(np.abs(y) >= 0.1)
    np.broadcast_shapes(x.shape, y.shape)


PARAMS = {
    "w": np.zeros((2, 3)),
    "layers": [np.zeros(3, np.float32), (np.zeros(()), 7)],
    "scale": 1.5,
    "mask": np.array([True, False]),
}


@FEW
@given(params_like(PARAMS, min_value=-1.0, max_value=1.0, away_from=(0.0,)))
def test_params_like_keeps_structure_shapes_and_dtypes(p):
    assert fg.tree_util.tree_structure(p) == fg.tree_util.tree_structure(PARAMS)
    assert p["w"].shape == (2, 3) and p["w"].dtype == np.float64
    assert p["layers"][0].dtype == np.float32 and p["layers"][1][0].shape == ()
    assert p["layers"][1][1] == 7 and p["mask"] is PARAMS["mask"]
    assert isinstance(p["scale"], float) and 0.1 <= abs(p["scale"]) <= 1.0
    floats = [p["w"], p["layers"][0], p["layers"][1][0]]
    assert all(np.all((np.abs(a) >= 0.1) & (np.abs(a) <= 1.0)) for a in floats)


# --- check_grads ---------------------------------------------------------------------


def test_check_grads_passes_correct_functions_of_any_scale():
    x = np.array([0.3, -1.2, 2.0])
    for scale in (1e-12, 1.0, 1e12):
        check_grads(lambda v: scale * fnp.sin(v) * fnp.exp(v), (x,), order=2)


def test_check_grads_tolerance_shrinks_with_the_function():
    # A slope 1% wrong, on a function of size 1e-9. A fixed absolute
    # tolerance (funcgrad.test_util's 1e-5) cannot see it; a tolerance
    # relative to the size of the derivatives does.
    @fg.custom_jvp
    def tiny(x):
        return 1e-9 * fnp.sin(x)

    @tiny.defjvp
    def tiny_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return tiny(x), 1.01e-9 * fnp.cos(x) * t

    x = np.array([0.3, -1.2])
    test_util.check_grads(tiny, (x,), order=1)
    with pytest.raises(DerivativeCheckError, match="'jvp'"):
        check_grads(tiny, (x,), order=1)


def test_check_grads_tolerance_grows_with_rounding_noise():
    # float32 differences of a function of size 1e5 carry rounding noise
    # of about ulp * 1e5 / step = 1.2: more than the derivative itself.
    # The tolerance follows the output scale, so a correct function passes.
    x = np.array([0.3, -1.2, 0.7], np.float32)

    def offset(v):
        return 1e5 + fnp.sin(v)

    with pytest.raises(AssertionError):
        test_util.check_grads(offset, (x,), order=1, modes=("fwd",))
    check_grads(offset, (x,), order=1)


def test_check_grads_tolerance_follows_the_dtype():
    x64 = np.array([0.3, -1.2, 0.7])
    x32 = x64.astype(np.float32)
    # float64's precision, asked of float32 differences, is out of reach;
    # the float32 defaults are not.
    tight = dict(rtol=1e-7, atol=1e-9)
    check_grads(fnp.tanh, (x64,), order=2, **tight)
    with pytest.raises(DerivativeCheckError):
        check_grads(fnp.tanh, (x32,), order=1, **tight)
    check_grads(fnp.tanh, (x32,), order=2)


def test_check_grads_catches_a_wrong_second_derivative():
    # First derivative right, second wrong: the slope's derivative is
    # -sin(x) + 0.3. Only order 2 sees it.
    @fg.custom_jvp
    def f(x):
        return fnp.sin(x)

    @f.defjvp
    def f_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        # Zero, with derivative 0.3: the slope is right, its derivative not.
        drift = 0.3 * (x - fg.stop_gradient(x))
        return f(x), (fnp.cos(x) + drift) * t

    x = np.array([0.4, 1.1])
    check_grads(f, (x,), order=1)
    with pytest.raises(DerivativeCheckError, match="along a fixed tangent"):
        check_grads(f, (x,), order=2)


def test_check_grads_takes_pytrees_and_integer_leaves():
    def f(params, n):
        return {"y": fnp.tanh(params["w"] @ params["x"]) * n, "n": n}

    params = {"w": np.ones((2, 3)) * 0.3, "x": np.arange(3.0)}
    check_grads(f, (params, 2), order=2)


def test_check_grads_refuses_bad_arguments():
    with pytest.raises(TypeError, match=r"check_grads\(f, \(x,\)\)"):
        check_grads(fnp.sin, 0.5)
    with pytest.raises(ValueError, match="order"):
        check_grads(fnp.sin, (0.5,), order=0)
    with pytest.raises(ValueError, match="modes"):
        check_grads(fnp.sin, (0.5,), modes=("forward",))
    with pytest.raises(TypeError, match="floating-point"):
        check_grads(lambda n: n * 2, (3,))


# --- one property at a time ----------------------------------------------------------

X = np.array([0.4, -1.3, 2.2])


def test_check_jvp_and_check_vjp_pass_and_fail():
    check_jvp(sin_twice_slope.fun, (X,))
    check_vjp(sin_twice_slope.fun, (X,))
    with pytest.raises(DerivativeCheckError) as err:
        check_jvp(sin_twice_slope, (X,))
    broken(err, "jvp")
    assert "differs at index" in str(err.value)
    with pytest.raises(DerivativeCheckError) as err:
        check_vjp(sin_twice_slope, (X,))
    broken(err, "vjp")


def test_check_jvp_compares_the_primal_output_of_a_rule():
    @fg.custom_jvp
    def shifted(x):
        return fnp.sin(x)

    @shifted.defjvp
    def shifted_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return fnp.sin(x) + 1.0, fnp.cos(x) * t

    with pytest.raises(DerivativeCheckError, match="primal output of `jvp`"):
        check_jvp(shifted, (X,))


def test_check_vjp_works_without_forward_mode():
    check_vjp(square_right_bwd, (X,))
    with pytest.raises(DerivativeCheckError) as err:
        check_vjp(square_wrong_bwd, (X,))
    broken(err, "vjp")


def test_check_dot_product_catches_a_wrong_transpose_rule(doubling):
    right, bad = doubling["right"], doubling["bad_transpose"]
    check_dot_product(lambda x: right.bind(x) * x, (X,))
    with pytest.raises(DerivativeCheckError) as err:
        check_dot_product(lambda x: bad.bind(x) * x, (X,))
    broken(err, "dot_product")
    # The forward mode is right: only the transpose is wrong.
    check_jvp(lambda x: bad.bind(x) * x, (X,))


def test_check_jvp_linear_catches_a_rule_not_linear_in_the_tangent():
    check_jvp_linear(fnp.sin, (X,))
    with pytest.raises(DerivativeCheckError) as err:
        check_jvp_linear(cube_nonlinear_rule, (X,))
    broken(err, "jvp_linear")


def test_check_hessian_symmetric_catches_a_gradient_that_is_no_gradient():
    x, y = X, np.array([0.5, 1.5, -0.2])
    check_hessian_symmetric(product_asymmetric.fun, (x, y))
    check_hessian_symmetric(lambda a: fnp.outer(fnp.sin(a), a), (x,))
    for modes in (("fwd", "rev"), ("rev",)):
        with pytest.raises(DerivativeCheckError) as err:
            check_hessian_symmetric(product_asymmetric, (x, y), modes=modes)
        broken(err, "hessian_symmetric")


def test_check_vmap_catches_a_wrong_batching_rule_and_impurity(doubling):
    xs = np.arange(6.0).reshape(3, 2)
    check_vmap(lambda x: doubling["right"].bind(x) + 1.0, (xs,))
    check_vmap(lambda x, w: fnp.tanh(x @ w), (xs, np.ones(2)), (0, None))
    with pytest.raises(DerivativeCheckError) as err:
        check_vmap(lambda x: doubling["bad_batch"].bind(x) + 1.0, (xs,))
    broken(err, "vmap")
    with pytest.raises(DerivativeCheckError) as err:
        check_vmap(impure_counter(), (xs,))
    broken(err, "vmap")


def test_check_vmap_compares_dtypes_and_integer_outputs():
    xs = np.arange(6.0).reshape(3, 2)
    check_vmap(lambda x: (fnp.argmax(x), x.astype(np.float32)), (xs,))

    def narrows_when_traced(x):
        return x if isinstance(x, np.ndarray) else x.astype(np.float32)

    with pytest.raises(DerivativeCheckError, match="float32.*want float64"):
        check_vmap(narrows_when_traced, (xs,))
    with pytest.raises(ValueError, match="one common size"):
        check_vmap(lambda a, b: a + b, (np.ones((3, 2)), np.ones((4, 2))))


def test_check_jit_catches_impurity():
    check_jit(lambda x: fnp.sum(fnp.exp(x) * x), (X,))
    with pytest.raises(DerivativeCheckError) as err:
        check_jit(impure_counter(), (X,))
    broken(err, "jit")


# --- check_derivatives ----------------------------------------------------------------


def test_correct_functions_pass_every_property():
    check_derivatives(fnp.tanh, arrays(shape=shapes()))
    check_derivatives(
        lambda x, y: fnp.sin(x) * fnp.exp(y / 4.0), args=broadcastable_arrays()
    )


def mlp_loss(params, x):
    h = fnp.tanh(x @ params["w1"] + params["b1"])
    return fnp.mean((h @ params["w2"]) ** 2)


MLP = {"w1": np.zeros((3, 4)), "b1": np.zeros(4), "w2": np.zeros((4, 2))}


def test_pytree_parameters_and_float32():
    check_derivatives(
        mlp_loss,
        params_like(MLP, min_value=-1.0, max_value=1.0),
        arrays(shape=(5, 3), min_value=-1.0, max_value=1.0),
        settings=FEW,
    )
    mlp32 = fg.tree_util.tree_map(lambda a: a.astype(np.float32), MLP)
    check_derivatives(
        mlp_loss,
        params_like(mlp32, min_value=-1.0, max_value=1.0),
        arrays(np.float32, (5, 3), min_value=-1.0, max_value=1.0),
        settings=FEW,
    )


def test_wrong_custom_jvp_fails_at_the_smallest_input_naming_the_property():
    with pytest.raises(DerivativeCheckError) as err:
        check_derivatives(
            sin_wrong_far_out, arrays(shape=shapes(max_dims=2)), properties=("jvp",)
        )
    broken(err, "jvp")
    (x,) = err.value.inputs
    # hypothesis shrank the input to one element, at or just past the jump at 1.
    assert x.size == 1 and 1.0 <= abs(float(x.ravel()[0])) < 1.5
    assert "args = (array(" in str(err.value)
    notes = "".join(getattr(err.value, "__notes__", []))
    assert "check_derivatives_of_sin_wrong_far_out" in notes


def test_wrong_custom_jvp_breaks_jvp_and_vjp_but_not_the_dot_product():
    # Reverse mode transposes the (wrong) rule, so both modes are wrong
    # together and agree with each other.
    with pytest.raises(DerivativeCheckError) as err:
        check_derivatives(sin_twice_slope, arrays(shape=(2,)), settings=FEW)
    broken(err, "jvp", "vjp")
    assert "2 of 7 properties broke (jvp, vjp)" in str(err.value)


def test_wrong_custom_vjp_fails_naming_vjp_and_a_right_one_passes():
    reverse = ("vjp", "vmap", "jit")
    check_derivatives(square_right_bwd, arrays(shape=(3,)), properties=reverse)
    with pytest.raises(DerivativeCheckError) as err:
        check_derivatives(square_wrong_bwd, arrays(shape=(3,)), properties=reverse)
    broken(err, "vjp")


def test_a_property_the_function_cannot_support_is_reported_as_broken():
    with pytest.raises(DerivativeCheckError) as err:
        check_derivatives(
            square_right_bwd,
            arrays(shape=(2,)),
            properties=("jvp", "vjp"),
            settings=FEW,
        )
    assert err.value.properties == ("jvp",)
    assert "leave 'jvp' out of `properties`" in str(err.value)


@pytest.mark.parametrize(
    "f, strategies, prop",
    [
        (cube_nonlinear_rule, (arrays(shape=(3,)),), "jvp_linear"),
        (
            product_asymmetric,
            (arrays(shape=(2,)), arrays(shape=(2,))),
            "hessian_symmetric",
        ),
    ],
    ids=["jvp_linear", "hessian_symmetric"],
)
def test_each_exact_property_is_named_when_it_breaks(f, strategies, prop):
    with pytest.raises(DerivativeCheckError) as err:
        check_derivatives(f, *strategies, properties=(prop,), settings=FEW)
    broken(err, prop)


def test_impurity_breaks_vmap_and_jit():
    with pytest.raises(DerivativeCheckError) as err:
        check_derivatives(
            impure_counter(),
            arrays(shape=(2,)),
            properties=("vmap", "jit"),
            settings=FEW,
        )
    broken(err, "vmap", "jit")


def test_derandomized_runs_report_the_same_input():
    ci = settings(derandomize=True, max_examples=10, database=None)
    inputs = []
    for _ in range(2):
        with pytest.raises(DerivativeCheckError) as err:
            check_derivatives(
                sin_wrong_far_out, arrays(shape=(2,)), properties=("vjp",), settings=ci
            )
        inputs.append(err.value.inputs[0])
    np.testing.assert_array_equal(inputs[0], inputs[1])


test_derivative_test_makes_a_collectable_test = derivative_test(
    fnp.arctan, arrays(shape=shapes(max_dims=2)), settings=FEW
)


def test_derivative_test_of_a_wrong_function_fails():
    test = derivative_test(sin_twice_slope, arrays(shape=()), properties=("vjp",))
    assert test.__name__ == "test_derivatives_of_sin_twice_slope"
    with pytest.raises(DerivativeCheckError):
        test()


def test_non_finite_inputs_are_rejected_not_reported():
    # log is checked only where it is finite; half the drawn inputs are not.
    check_derivatives(fnp.log, arrays(shape=(), away_from=(0.0,)), settings=FEW)
    with pytest.raises(ValueError, match="not finite"):
        run_properties(fnp.log, (np.array(-1.0),))


def test_bad_arguments_to_check_derivatives():
    with pytest.raises(ValueError, match="unknown properties"):
        check_derivatives(fnp.sin, arrays(shape=()), properties=("grad",))
    with pytest.raises(TypeError, match="not both"):
        check_derivatives(fnp.sin, arrays(shape=()), args=st.tuples(arrays(shape=())))
    with pytest.raises(TypeError, match="strategy per argument"):
        check_derivatives(fnp.sin)


def test_batch_of_permutes_values_and_repeats_other_leaves():
    x, n = np.array([[1.0, 2.0, 3.0]]), 4
    bx, bn = batch_of((x, n), seed=1)
    assert bx.shape == (3, 1, 3) and list(bn) == [4, 4, 4]
    for member in bx:
        assert sorted(member.ravel()) == [1.0, 2.0, 3.0]
    assert set(PROPERTIES) == {
        "jvp",
        "vjp",
        "dot_product",
        "jvp_linear",
        "hessian_symmetric",
        "vmap",
        "jit",
    }


# --- the pytest plugin ----------------------------------------------------------------


@pytest.fixture
def plugin_run(pytester, monkeypatch):
    """Run pytest in-process with only funcgrad's plugin, restoring the profile."""
    previous = settings.get_current_profile_name()
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")

    def run(*args):
        return pytester.runpytest_inprocess("-p", "funcgrad.pytest_plugin", *args)

    yield run
    settings.load_profile(previous)


PROFILE_PROBE = """
    from hypothesis import settings

    def test_profile():
        print("PROFILE", settings.get_current_profile_name())
        assert settings.default.deadline is None
"""


def test_plugin_loads_a_funcgrad_profile_on_request(pytester, plugin_run):
    pytester.makepyfile(PROFILE_PROBE)
    result = plugin_run("--funcgrad-profile=ci", "-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*PROFILE funcgrad-ci*"])
    assert settings.get_profile("funcgrad-ci").derandomize
    result = plugin_run("--funcgrad-profile=dev", "-s")
    result.stdout.fnmatch_lines(["*PROFILE funcgrad-dev*"])


def test_plugin_leaves_the_active_profile_alone_unless_asked(pytester, plugin_run):
    pytester.makeconftest(
        """
        from hypothesis import settings
        settings.register_profile("mine", deadline=None, max_examples=3)
        settings.load_profile("mine")
        """
    )
    pytester.makepyfile(PROFILE_PROBE)
    result = plugin_run("-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*PROFILE mine*"])


def test_plugin_reads_the_profile_from_the_ini_file(pytester, plugin_run):
    pytester.makeini("[pytest]\nfuncgrad_profile = ci\n")
    pytester.makepyfile(PROFILE_PROBE)
    result = plugin_run("-s")
    result.stdout.fnmatch_lines(["*PROFILE funcgrad-ci*"])
    assert "hypothesis profile 'funcgrad-ci'" in result.stdout.str()


def test_plugin_fixture_reports_the_broken_property(pytester, plugin_run):
    pytester.makepyfile(
        """
        import funcgrad as fg
        import funcgrad.numpy as fnp
        from funcgrad.testing import arrays

        @fg.custom_vjp
        def square(x):
            return x * x

        square.defvjp(lambda x: (x * x, x), lambda x, ct: (3.0 * x * ct,))

        def test_square(check_derivatives):
            check_derivatives(square, arrays(shape=(2,)), properties=("vjp",))

        def test_cube(check_derivatives):
            check_derivatives(lambda x: x ** 3, arrays(shape=(2,)))
        """
    )
    result = plugin_run("--funcgrad-profile=ci")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*property 'vjp' broke for `square`*"])


def test_plugin_refuses_two_profile_options(pytester, plugin_run):
    pytester.makepyfile(PROFILE_PROBE)
    result = plugin_run(
        "-p",
        "_hypothesis_pytestplugin",
        "--funcgrad-profile=ci",
        "--hypothesis-profile=default",
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*give only one*"])


def test_plugin_is_declared_as_a_pytest_entry_point():
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["entry-points"]["pytest11"] == {"funcgrad": "funcgrad.pytest_plugin"}
    assert "hypothesis" not in " ".join(project["dependencies"])
    assert any("hypothesis" in d for d in project["optional-dependencies"]["test"])


def test_hypothesis_is_needed_by_funcgrad_testing_only():
    script = textwrap.dedent(
        """
        import sys

        class NoHypothesis:
            def find_spec(self, name, path=None, target=None):
                if name == "hypothesis" or name.startswith("hypothesis."):
                    raise ImportError("No module named 'hypothesis'")

        sys.meta_path.insert(0, NoHypothesis())
        import funcgrad, funcgrad.pytest_plugin
        assert "hypothesis" not in sys.modules
        try:
            import funcgrad.testing
        except ImportError as err:
            print(err)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert "pip install hypothesis" in out.stdout
