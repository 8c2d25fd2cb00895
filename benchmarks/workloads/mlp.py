"""`mlp_value_and_grad`: the loss and its gradient for a float32 MLP.

Batch 256, layers 784-512-512-10, tanh hidden units, softmax cross-entropy
against one-hot labels, mean over the batch. One loss is written once over
a numpy-like module `xp` and run by funcgrad, autograd and jax (eager and
jitted); torch gets the same formula in its own spelling, and a numpy
forward and backward pass written by hand is the floor: what the
arithmetic costs with no autodiff at all.

Every implementation's gradient is checked against the hand-written one
before anything is timed, and funcgrad's must stay float32 throughout.
Most of the time is in the six 256x784x512-sized matrix products, so the
BLAS thread count moves every number here.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

import funcgrad as fg
import funcgrad.numpy as fnp
from benchmarks._harness import (
    Row,
    Settings,
    Timing,
    compare,
    measure,
    peer,
    skip_note,
    workload,
)

TARGET = 1.3  # funcgrad's time / autograd's time
BATCH, SIZES = 256, (784, 512, 512, 10)
Params = list[tuple[np.ndarray, np.ndarray]]


def make_problem(seed: int = 0) -> tuple[Params, np.ndarray, np.ndarray]:
    """float32 weights (scaled by 1/sqrt(fan-in)), inputs and one-hot labels."""
    rng = np.random.default_rng(seed)
    params = []
    for m, n in itertools.pairwise(SIZES):
        w = (rng.standard_normal((m, n)) / np.sqrt(m)).astype(np.float32)
        b = (0.1 * rng.standard_normal(n)).astype(np.float32)
        params.append((w, b))
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = np.eye(SIZES[-1], dtype=np.float32)[rng.integers(0, SIZES[-1], BATCH)]
    return params, x, y


def make_loss(xp: ModuleType) -> Callable[[Any, Any, Any], Any]:
    """The loss over `xp` (funcgrad.numpy, autograd.numpy or jax.numpy)."""

    def loss(params: Any, x: Any, y: Any) -> Any:
        h = x
        for w, b in params[:-1]:
            h = xp.tanh(h @ w + b)
        w, b = params[-1]
        logits = h @ w + b
        z = logits - xp.max(logits, axis=1, keepdims=True)
        log_p = z - xp.log(xp.sum(xp.exp(z), axis=1, keepdims=True))
        return -xp.sum(y * log_p) / x.shape[0]

    return loss


def numpy_value_and_grad(
    params: Params, x: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, Params]:
    """The loss and its gradient by hand: the forward pass keeps the hidden
    activations, the backward pass applies the chain rule layer by layer."""
    hs = [x]
    for w, b in params[:-1]:
        hs.append(np.tanh(hs[-1] @ w + b))
    w, b = params[-1]
    logits = hs[-1] @ w + b
    z = logits - np.max(logits, axis=1, keepdims=True)
    log_p = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    value = -np.sum(y * log_p) / x.shape[0]

    # d(value)/d(log_p) = -y / B, and through log-softmax
    # d/dlogits = -y/B + softmax * sum(y/B) (the max shift has no effect).
    ct = (np.exp(log_p) * np.sum(y, axis=1, keepdims=True) - y) / x.shape[0]
    grads = []
    for i in range(len(params) - 1, -1, -1):
        w, _ = params[i]
        grads.append((hs[i].T @ ct, np.sum(ct, axis=0)))
        if i:
            ct = (ct @ w.T) * (1 - hs[i] * hs[i])  # tanh' = 1 - tanh^2
    return np.asarray(value), grads[::-1]


@workload("mlp_value_and_grad", "value_and_grad of a float32 784-512-512-10 MLP")
def run(settings: Settings) -> list[Row]:
    params, x, y = make_problem()
    want_value, want_grads = numpy_value_and_grad(params, x, y)
    _check_float32("numpy by hand", want_value, want_grads)
    runners: dict[str, Callable[[], Any] | str] = {
        "funcgrad": _funcgrad(params, x, y),
        "numpy by hand": lambda: numpy_value_and_grad(params, x, y),
    }
    runners.update(_autograd(params, x, y))
    runners.update(_jax(params, x, y))
    runners.update(_torch(params, x, y))

    calls = {}
    for impl, call in runners.items():
        if not isinstance(call, str):
            value, grads = _to_numpy(call())
            _check_close(impl, value, grads, want_value, want_grads)
            calls[impl] = call
    measured = measure(calls, settings)
    timings: dict[str, Timing | str] = {
        impl: measured.get(impl, call) for impl, call in runners.items()
    }
    rows = compare(
        "mlp_value_and_grad",
        "batch 256, float32",
        timings,
        targets={"autograd": TARGET},
    )
    notes = {"funcgrad": "gradient float32 (checked)"}
    torch = peer("torch")
    if torch is not None:
        notes["torch"] = f"{torch.get_num_threads()} intra-op threads"
    for row in rows:
        row.note = row.note or notes.get(row.impl, "")
    return rows


def _funcgrad(params: Params, x: np.ndarray, y: np.ndarray) -> Callable[[], Any]:
    value_and_grad = fg.value_and_grad(make_loss(fnp))
    value, grads = value_and_grad(params, x, y)
    _check_float32("funcgrad", value, grads)
    return lambda: value_and_grad(params, x, y)


def _autograd(params: Params, x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    autograd = peer("autograd")
    if autograd is None:
        return {"autograd": skip_note("autograd")}
    import autograd.numpy as anp

    value_and_grad = autograd.value_and_grad(make_loss(anp))
    return {"autograd": lambda: value_and_grad(params, x, y)}


def _jax(params: Params, x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    jax = peer("jax")
    if jax is None:
        note = skip_note("jax")
        return {"jax (no jit)": note, "jax (jit)": note}
    import jax.numpy as jnp

    j_params = jax.tree_util.tree_map(jnp.asarray, params)
    jx, jy = jnp.asarray(x), jnp.asarray(y)
    eager = jax.value_and_grad(make_loss(jnp))
    jitted = jax.jit(eager)
    return {
        "jax (no jit)": lambda: jax.block_until_ready(eager(j_params, jx, jy)),
        "jax (jit)": lambda: jax.block_until_ready(jitted(j_params, jx, jy)),
    }


def _torch(params: Params, x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    torch = peer("torch")
    if torch is None:
        return {"torch": skip_note("torch")}
    t_params = [
        tuple(torch.from_numpy(p.copy()).requires_grad_() for p in layer)
        for layer in params
    ]
    flat = [p for layer in t_params for p in layer]
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)

    def value_and_grad() -> tuple[Any, Params]:
        h = tx
        for w, b in t_params[:-1]:
            h = torch.tanh(h @ w + b)
        w, b = t_params[-1]
        logits = h @ w + b
        z = logits - torch.max(logits, dim=1, keepdim=True).values
        log_p = z - torch.log(torch.sum(torch.exp(z), dim=1, keepdim=True))
        value = -torch.sum(ty * log_p) / tx.shape[0]
        grads = torch.autograd.grad(value, flat)
        return value, list(zip(grads[::2], grads[1::2]))

    return {"torch": value_and_grad}


def _to_numpy(result: Any) -> tuple[np.ndarray, Params]:
    value, grads = result
    if hasattr(value, "detach"):  # torch
        value = value.detach()
        grads = [(w.detach(), b.detach()) for w, b in grads]
    return np.asarray(value), [(np.asarray(w), np.asarray(b)) for w, b in grads]


def _check_float32(impl: str, value: Any, grads: Params) -> None:
    dtypes = {np.asarray(value).dtype} | {g.dtype for layer in grads for g in layer}
    if dtypes != {np.dtype(np.float32)}:
        raise AssertionError(
            f"{impl} did not stay float32: got {sorted(map(str, dtypes))}"
        )


def _check_close(
    impl: str, value: Any, grads: Params, want_value: Any, want_grads: Params
) -> None:
    np.testing.assert_allclose(value, want_value, rtol=1e-5, err_msg=impl)
    for i, (got, want) in enumerate(zip(grads, want_grads)):
        for name, g, w in zip("wb", got, want):
            assert g.shape == w.shape, f"{impl}: layer {i} {name} shape {g.shape}"
            scale = float(np.max(np.abs(w)))
            np.testing.assert_allclose(
                g, w, rtol=1e-3, atol=1e-4 * scale, err_msg=f"{impl}: layer {i} {name}"
            )
