"""jit staging and its cache; custom_jvp, custom_vjp and checkpoint."""

from __future__ import annotations

import logging

import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad.errors import ConcretizationError, FuncgradError

RNG = np.random.default_rng(0)


# --- jit ----------------------------------------------------------------------


def test_jit_traces_once_per_signature_and_logs_why(caplog):
    calls = []

    def f(x, n):
        calls.append(1)
        return fnp.sum(x**n)

    jf = fg.jit(f, static_argnums=1)
    with caplog.at_level(logging.INFO, logger="funcgrad.jit"):
        for _ in range(3):
            assert float(jf(np.ones(3), 2)) == 3.0
        jf(np.ones(4), 2)
        jf(np.ones(4, np.float32), 2)
        jf(np.ones(4, np.float32), 3)
    assert len(calls) == 4
    info = jf.cache_info()
    assert (info.hits, info.misses, info.size) == (2, 4, 4)
    reasons = [r.getMessage() for r in caplog.records]
    assert "first call" in reasons[0]
    assert "new shapes" in reasons[1] and "new dtypes" in reasons[2]
    assert "new static values" in reasons[3]


def test_jit_on_pytrees_retraces_on_any_change_of_structure_shape_or_dtype():
    calls = []

    def f(params, x):
        calls.append(1)
        w, b = params["w"], params["b"]
        return fnp.sum(x @ w + b)

    jf = fg.jit(f)
    x = np.ones((2, 3))
    params = {"w": np.ones((3, 4)), "b": np.zeros(4)}
    for _ in range(3):  # the second and third calls take the pytree shortcut
        assert float(jf(params, x)) == 24.0
    assert len(calls) == 1
    assert float(jf({"w": np.ones((3, 5)), "b": np.zeros(5)}, x)) == 30.0
    assert jf({"w": np.ones((3, 4), np.float32), "b": np.zeros(4)}, x).dtype == (
        np.float64
    )
    assert float(jf({"w": np.ones((3, 4)), "b": 1.0}, x)) == 32.0  # a Python scalar
    assert float(jf({"w": np.ones((3, 4)), "b": np.zeros(4), "c": 0}, x)) == 24.0
    assert len(calls) == 5
    assert jf.cache_info().hits == 2


def test_jit_keeps_python_scalars_weak():
    jf = fg.jit(lambda x, s: x * s)
    assert jf(np.ones(2, np.float32), 2.0).dtype == np.float32
    assert jf(np.ones(2, np.float32), np.float64(2.0)).dtype == np.float64


@pytest.mark.parametrize(
    "order",
    ["grad(jit)", "jit(grad)", "jit(grad(jit))", "vmap(jit)", "jit(vmap(grad))"],
)
def test_jit_composes_in_both_directions(order):
    def loss(w, x):
        return fnp.sum(fnp.tanh(x @ w) ** 2)

    w, x = RNG.normal(size=(3, 2)), RNG.normal(size=(5, 3))
    want = fg.grad(loss)(w, x)
    if order == "grad(jit)":
        got = fg.grad(fg.jit(loss))(w, x)
    elif order == "jit(grad)":
        got = fg.jit(fg.grad(loss))(w, x)
    elif order == "jit(grad(jit))":
        got = fg.jit(fg.grad(fg.jit(loss)))(w, x)
    elif order == "vmap(jit)":
        got = fg.vmap(fg.jit(fg.grad(loss)), in_axes=(None, 0))(
            w, x[None].repeat(2, 0)
        )[0]
    else:
        per = fg.jit(fg.vmap(fg.grad(loss), in_axes=(None, 0)))(w, x[:, None, :])
        got = per.sum(0)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_if_on_traced_value_under_jit_explains():
    def f(x):
        return x if x > 0 else -x

    with pytest.raises(
        ConcretizationError,
        match=r"`bool\(\)`.*abstract.*`jit` of `.*f`.*static_argnums.*lax\.cond",
    ):
        fg.jit(f)(1.0)
    for convert in (int, float):
        with pytest.raises(ConcretizationError, match=convert.__name__):
            fg.jit(lambda x, c=convert: c(x))(1.0)
    with pytest.raises(ConcretizationError, match="numpy.asarray"):
        fg.jit(lambda x: np.asarray(x))(1.0)
    assert float(fg.jit(f, static_argnums=0)(-2.0)) == 2.0


def test_leaked_tracer_names_its_transform():
    kept = []

    def f(x):
        kept.append(x * 2.0)
        return x

    fg.jit(f)(1.0)
    with pytest.raises(FuncgradError, match=r"`jit` of `.*f`.*escaped"):
        fnp.sin(kept[0])


def test_jit_static_argument_must_be_hashable():
    with pytest.raises(TypeError, match="hashable"):
        fg.jit(lambda x, opts: x, static_argnums=1)(1.0, [1, 2])


# --- custom_jvp ---------------------------------------------------------------


@fg.custom_jvp
def softplus(x):
    return fnp.log1p(fnp.exp(-fnp.abs(x))) + fnp.maximum(x, 0.0)


@softplus.defjvp
def _softplus_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return softplus(x), t * fg.lax.logistic(x)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_custom_jvp_rule_is_used_by_every_transform():
    x = np.array([-30.0, -1.0, 0.0, 2.0, 40.0])
    want = sigmoid(x)
    np.testing.assert_allclose(fg.grad(lambda x: fnp.sum(softplus(x)))(x), want)
    np.testing.assert_allclose(fg.jvp(softplus, (x,), (np.ones(5),))[1], want)
    np.testing.assert_allclose(fg.vmap(fg.grad(softplus))(x), want)
    np.testing.assert_allclose(fg.jit(fg.grad(lambda x: fnp.sum(softplus(x))))(x), want)
    np.testing.assert_allclose(
        fg.grad(lambda x: fnp.sum(fg.vmap(softplus)(x)))(x), want
    )
    second = fg.vmap(fg.grad(fg.grad(softplus)))(x)
    np.testing.assert_allclose(second, want * (1 - want), rtol=1e-12)
    assert "custom_jvp_call" in str(fg.make_jaxpr(softplus)(1.0))


def test_custom_jvp_nondiff_argnums_and_closure_error():
    @fg.custom_jvp
    def scaled(k, x):
        return k * x

    @scaled.defjvp
    def scaled_jvp(k, primals, tangents):
        (x,), (t,) = primals, tangents
        return scaled(k, x), 10.0 * t  # deliberately not k: shows the rule is used

    scaled = fg.custom_jvp(scaled.fun, nondiff_argnums=0)
    scaled.defjvp(scaled_jvp)
    assert float(fg.grad(lambda x: scaled(3.0, x))(1.0)) == 10.0

    def closes_over(y):
        @fg.custom_jvp
        def g(x):
            return x * y

        g.defjvp(lambda p, t: (g(*p), t[0] * y))
        return g(2.0)

    with pytest.raises(FuncgradError, match="closes over a value"):
        fg.grad(closes_over)(1.0)


# --- custom_vjp ---------------------------------------------------------------


@fg.custom_vjp
def clip_norm(x):
    return x


def _clip_fwd(x):
    return x, None


def _clip_bwd(_, ct):
    norm = fnp.sqrt(fnp.sum(ct * ct))
    return (ct / fnp.maximum(norm, 1.0),)


clip_norm.defvjp(_clip_fwd, _clip_bwd)


def test_custom_vjp_rule_is_used_by_reverse_mode_vmap_and_jit():
    x = np.array([3.0, 4.0])
    g = fg.grad(lambda x: fnp.sum(10.0 * clip_norm(x)))(x)
    np.testing.assert_allclose(g, np.ones(2) / np.sqrt(2))
    np.testing.assert_allclose(
        fg.jit(fg.grad(lambda x: fnp.sum(10.0 * clip_norm(x))))(x), g
    )
    per = fg.vmap(fg.grad(lambda x: fnp.sum(10.0 * clip_norm(x))))(np.stack([x, x]))
    np.testing.assert_allclose(per, np.stack([g, g]))
    outer = fg.grad(lambda x: fnp.sum(fg.vmap(lambda r: 10.0 * clip_norm(r))(x)))(
        np.stack([x, x])
    )
    np.testing.assert_allclose(outer, np.full((2, 2), 10.0 / np.sqrt(200.0)))


def test_grad_of_grad_through_custom_vjp():
    @fg.custom_vjp
    def f(x):
        return fnp.sin(x)

    f.defvjp(lambda x: (fnp.sin(x), fnp.cos(x)), lambda c, ct: (ct * c,))
    x = 0.7
    assert np.isclose(fg.grad(fg.grad(f))(x), -np.sin(x))


def test_forward_mode_through_custom_vjp_is_a_clear_error():
    with pytest.raises(FuncgradError, match="forward mode.*jacrev.*custom_jvp"):
        fg.jvp(clip_norm, (np.ones(2),), (np.ones(2),))
    with pytest.raises(FuncgradError, match="forward mode"):
        fg.jacfwd(clip_norm)(np.ones(2))
    np.testing.assert_allclose(fg.jacrev(clip_norm)(np.array([0.1, 0.2])), np.eye(2))


def test_custom_vjp_bwd_must_return_a_tuple():
    @fg.custom_vjp
    def f(x):
        return x

    f.defvjp(lambda x: (x, None), lambda _, ct: ct)
    with pytest.raises(TypeError, match="tuple with one cotangent"):
        fg.grad(f)(1.0)


# --- checkpoint ---------------------------------------------------------------


def _network(layer, ws, x):
    for w in ws:
        x = layer(w, x)
    return fnp.sum(x**2)


def _layer(w, x):
    return fnp.tanh(fnp.sin(x @ w))


def test_checkpoint_stores_fewer_bytes_with_unchanged_gradients():
    ws = [RNG.normal(size=(16, 16)) / 4 for _ in range(10)]
    x = RNG.normal(size=(8, 16))
    plain = fg.residuals(lambda ws, x: _network(_layer, ws, x))(ws, x)
    saved = fg.residuals(lambda ws, x: _network(fg.checkpoint(_layer), ws, x))(ws, x)
    plain_bytes = sum(r.nbytes for r in plain)
    saved_bytes = sum(r.nbytes for r in saved)
    # Without checkpointing each layer keeps what its derivative needs (cos
    # of its pre-activation, 1 - tanh**2); with it, only its inputs w and x.
    assert saved_bytes < 0.7 * plain_bytes
    inside = {"cos", "sub", "mul", "tanh", "sin", "dot_general"}
    assert inside & {r.source for r in plain}
    assert {r.source for r in saved} & inside <= {"mul"}  # the final x ** 2
    assert sum(r.source == "checkpoint" for r in saved) == 9  # layer outputs
    g_plain = fg.grad(lambda ws: _network(_layer, ws, x))(ws)
    g_ckpt = fg.grad(lambda ws: _network(fg.checkpoint(_layer), ws, x))(ws)
    for a, b in zip(g_plain, g_ckpt):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_checkpoint_in_forward_mode_batching_and_second_order():
    layer = fg.checkpoint(_layer)
    w, x = RNG.normal(size=(3, 3)), RNG.normal(size=3)
    want = fg.hessian(lambda x: fnp.sum(_layer(w, x)))(x)
    np.testing.assert_allclose(
        fg.hessian(lambda x: fnp.sum(layer(w, x)))(x), want, rtol=1e-12
    )
    xs = RNG.normal(size=(4, 3))
    np.testing.assert_allclose(
        fg.vmap(fg.grad(lambda x: fnp.sum(layer(w, x))))(xs),
        fg.vmap(fg.grad(lambda x: fnp.sum(_layer(w, x))))(xs),
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        fg.grad(lambda xs: fnp.sum(fg.vmap(lambda x: layer(w, x))(xs)))(xs),
        fg.grad(lambda xs: fnp.sum(fg.vmap(lambda x: _layer(w, x))(xs)))(xs),
        rtol=1e-12,
    )


def test_big_endian_arrays_are_computed_in_native_byte_order():
    """Arrays read from files may be big-endian; numba cannot compute on
    them, and their dtype must not look different from the native one."""
    x = np.arange(4.0).astype(">f8")
    want = np.exp(np.arange(4.0)) * 2
    for _ in range(2):  # the second call takes jit's cached path
        np.testing.assert_allclose(fg.jit(lambda x: fnp.exp(x) * 2)(x), want)
        np.testing.assert_allclose(fg.jit(lambda p: fnp.sum(p["w"]))({"w": x}), 6.0)
    g = fg.grad(lambda x: fnp.sum(fnp.exp(x) * 2))(x)
    np.testing.assert_allclose(g, want)
    assert g.dtype == np.float64 and g.dtype.isnative
    big = np.arange(300_000).astype(">i8")
    assert int(fg.jit(fnp.sum)(big)) == int(np.arange(300_000).sum())
