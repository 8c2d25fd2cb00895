"""Workloads of the composable transforms (vmap, hessian).

- `per_example_grads`: per-example gradients of a 2-layer tanh network,
  batch 128, with `vmap(grad(loss), in_axes=(None, 0, 0))`, against a
  Python loop of `grad` calls (target: at least 20x faster) and, where
  installed, JAX's `vmap(grad)` under `jit`.
- `hessian_logreg`: the Hessian of an L2-regularised logistic-regression
  loss on 200 x 20 float64 data, against autograd's `hessian` (target:
  faster than autograd) and JAX's `jit(hessian)`.
"""

from __future__ import annotations

import numpy as np

import funcgrad as fg
import funcgrad.numpy as fnp
from benchmarks._harness import Row, Settings, compare, measure, peer, workload


def _network(xp):
    def loss(params, x, y):
        h = xp.tanh(x @ params["w1"] + params["b1"])
        out = h @ params["w2"] + params["b2"]
        return xp.sum((out - y) ** 2)

    return loss


@workload(
    "per_example_grads", "vmap(grad) of a 2-layer net, batch 128, vs a loop of grad"
)
def per_example(settings: Settings) -> list[Row]:
    rng = np.random.default_rng(0)
    params = {
        "w1": rng.normal(size=(32, 64)) / 6,
        "b1": np.zeros(64),
        "w2": rng.normal(size=(64, 10)) / 8,
        "b2": np.zeros(10),
    }
    x, y = rng.normal(size=(128, 32)), rng.normal(size=(128, 10))
    loss = _network(fnp)
    batched = fg.vmap(fg.grad(loss), in_axes=(None, 0, 0))
    single = fg.grad(loss)

    def loop():
        return [single(params, x[i], y[i]) for i in range(len(x))]

    got, want = batched(params, x, y), loop()
    for k in params:
        np.testing.assert_allclose(got[k], np.stack([g[k] for g in want]), rtol=1e-10)
    stmts = {"funcgrad": lambda: batched(params, x, y), "loop of grad": loop}
    jax = peer("jax")
    if jax is not None:
        jnp = jax.numpy
        jparams = {k: jnp.asarray(v) for k, v in params.items()}
        jfun = jax.jit(jax.vmap(jax.grad(_network(jnp)), in_axes=(None, 0, 0)))
        jx, jy = jnp.asarray(x), jnp.asarray(y)
        jfun(jparams, jx, jy)["w1"].block_until_ready()
        stmts["jax jit(vmap(grad))"] = lambda: jfun(jparams, jx, jy)[
            "w1"
        ].block_until_ready()
    timings = measure(stmts, settings)
    # The target reads "funcgrad's time is at most 1/20 of the loop's".
    return compare(
        "per_example_grads", "batch 128", timings, targets={"loop of grad": 1 / 20}
    )


def _logreg(xp, x, y, lam):
    def loss(w):
        z = x @ w
        # log(1 + exp(-y z)) written stably; y in {-1, 1}.
        m = -y * z
        return xp.sum(xp.maximum(m, 0.0) + xp.log1p(xp.exp(-xp.abs(m)))) / len(
            y
        ) + lam * xp.sum(w * w)

    return loss


@workload(
    "hessian_logreg", "hessian of a logistic-regression loss, 200 x 20, vs autograd"
)
def hessian_logreg(settings: Settings) -> list[Row]:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 20))
    y = np.sign(x @ rng.normal(size=20) + 0.1 * rng.normal(size=200))
    w = 0.1 * rng.normal(size=20)
    hess = fg.hessian(_logreg(fnp, x, y, 1e-2))
    stmts = {"funcgrad": lambda: hess(w)}
    reference = hess(w)
    autograd = peer("autograd")
    if autograd is not None:
        anp = autograd.numpy
        ahess = autograd.hessian(_logreg(anp, x, y, 1e-2))
        np.testing.assert_allclose(ahess(w), reference, rtol=1e-9, atol=1e-12)
        stmts["autograd"] = lambda: ahess(w)
    else:
        stmts["autograd"] = "skipped: autograd is not installed"
    jax = peer("jax")
    if jax is not None:
        jnp = jax.numpy
        jhess = jax.jit(jax.hessian(_logreg(jnp, jnp.asarray(x), jnp.asarray(y), 1e-2)))
        jw = jnp.asarray(w)
        np.testing.assert_allclose(
            np.asarray(jhess(jw)), reference, rtol=1e-9, atol=1e-12
        )
        stmts["jax jit(hessian)"] = lambda: jhess(jw).block_until_ready()
    runnable = {k: v for k, v in stmts.items() if not isinstance(v, str)}
    timings: dict = dict(measure(runnable, settings))
    timings.update({k: v for k, v in stmts.items() if isinstance(v, str)})
    return compare("hessian_logreg", "200 x 20", timings, targets={"autograd": 1.0})
