"""W6: the gradient of a tanh RNN, a loop of small matrix products.

The loss: `h_0 = 0`, `h_t = tanh(h_{t-1} @ W_hh + x_t @ W_xh + b)` for 100
steps over inputs `xs` of shape (100, 32, 32) (steps, batch, inputs), a
linear readout `y_t = h_t @ W_out` (128 -> 16), and the sum of the squares
of every `y_t`. The gradient with respect to `W_hh` (128 x 128), `W_xh`
(32 x 128), `b` (128) and `W_out` (128 x 16), all float64.

- `w6_rnn`: time per gradient. funcgrad `jit(grad)` with `lax.scan`,
  against JAX `jit(grad)` with `jax.lax.scan`, autograd and PyTorch
  (`torch.float64`, autograd's `backward`) over a Python loop, funcgrad's
  `grad` without `jit`, and backpropagation through time written by hand
  in numpy (the cost of the arithmetic alone). Target: `jit(grad)` at most
  JAX's time. Each step is a (32 x 128) @ (128 x 128) product forward and
  two backward, so the BLAS's threads move every number here.
- `w6_rnn_first_call`: seconds of the first call of `jit(grad)` (trace,
  compile, run) at 100 and at 1,000 steps, in fresh interpreters as in
  W5: an empty kernel cache, then a second process that finds it warm;
  JAX's first call beside them, and each one's second call (the run
  alone) in the notes. Target: with an empty cache, the first call at
  1,000 steps at most 1.25x the one at 100 steps (the loop bodies are
  compiled once, and their kernels take the length as an argument).

Every gradient is checked against the hand-written one before timing.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
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
from benchmarks.workloads.import_time import REPO_ROOT, _child_env

STEPS, BATCH, INPUTS, HIDDEN, OUTPUTS = 100, 32, 32, 128, 16
TARGET = 1.0  # funcgrad jit(grad) / jax jit(grad)
LENGTH_TARGET = 1.25  # first call at 1,000 steps / first call at 100 steps
NAMES = ("W_hh", "W_xh", "b", "W_out")
Params = dict[str, np.ndarray]


def make_problem(steps: int = STEPS, seed: int = 0) -> tuple[Params, np.ndarray]:
    """Weights scaled by 1/sqrt(fan-in), so the hidden states stay inside
    tanh's range, and standard normal inputs."""
    rng = np.random.default_rng(seed)
    params = {
        "W_hh": rng.standard_normal((HIDDEN, HIDDEN)) / np.sqrt(HIDDEN),
        "W_xh": rng.standard_normal((INPUTS, HIDDEN)) / np.sqrt(INPUTS),
        "b": 0.1 * rng.standard_normal(HIDDEN),
        "W_out": rng.standard_normal((HIDDEN, OUTPUTS)) / np.sqrt(HIDDEN),
    }
    return params, rng.standard_normal((steps, BATCH, INPUTS))


def make_scan_loss(xp: ModuleType, scan: Callable[..., Any]) -> Callable[..., Any]:
    """The loss with a scan over the steps (funcgrad's or JAX's)."""

    def loss(p: Any, xs: Any) -> Any:
        def step(h: Any, x: Any) -> tuple[Any, Any]:
            h = xp.tanh(h @ p["W_hh"] + x @ p["W_xh"] + p["b"])
            return h, h @ p["W_out"]

        _, ys = scan(step, xp.zeros((xs.shape[1], HIDDEN)), xs)
        return xp.sum(ys**2)

    return loss


def make_loop_loss(xp: Any) -> Callable[..., Any]:
    """The loss over a Python loop (autograd.numpy or torch)."""

    def loss(p: Any, xs: Any) -> Any:
        h = xp.zeros((xs.shape[1], HIDDEN), dtype=xs.dtype)
        total = 0.0
        for t in range(xs.shape[0]):
            h = xp.tanh(h @ p["W_hh"] + xs[t] @ p["W_xh"] + p["b"])
            total = total + ((h @ p["W_out"]) ** 2).sum()
        return total

    return loss


def numpy_grad(p: Params, xs: np.ndarray) -> Params:
    """Backpropagation through time, written by hand."""
    w_hh, w_xh, b, w_out = (p[k] for k in NAMES)
    steps, batch, _ = xs.shape
    hs = np.empty((steps + 1, batch, HIDDEN))
    hs[0] = 0.0
    for t in range(steps):
        hs[t + 1] = np.tanh(hs[t] @ w_hh + xs[t] @ w_xh + b)
    ys_bar = 2.0 * (hs[1:] @ w_out)
    grads = {k: np.zeros_like(v) for k, v in p.items()}
    grads["W_out"] = hs[1:].reshape(-1, HIDDEN).T @ ys_bar.reshape(-1, OUTPUTS)
    h_bar = np.zeros((batch, HIDDEN))
    for t in range(steps - 1, -1, -1):
        a_bar = (h_bar + ys_bar[t] @ w_out.T) * (1.0 - hs[t + 1] ** 2)
        grads["W_hh"] += hs[t].T @ a_bar
        grads["W_xh"] += xs[t].T @ a_bar
        grads["b"] += a_bar.sum(axis=0)
        h_bar = a_bar @ w_hh.T
    return grads


def _check(impl: str, got: Any, want: Params) -> None:
    for k in NAMES:
        g = np.asarray(got[k])
        assert g.dtype == np.float64, f"{impl}: {k} is {g.dtype}"
        np.testing.assert_allclose(
            g, want[k], rtol=1e-10, atol=1e-10 * np.abs(want[k]).max(), err_msg=impl
        )


def _runners(p: Params, xs: np.ndarray) -> dict[str, Callable[[], Any] | str]:
    loss = make_scan_loss(fnp, fg.lax.scan)
    jit_grad, grad = fg.jit(fg.grad(loss)), fg.grad(loss)
    runners: dict[str, Callable[[], Any] | str] = {
        "funcgrad jit(grad)": lambda: jit_grad(p, xs),
        "funcgrad grad (no jit)": lambda: grad(p, xs),
        "numpy by hand (BPTT)": lambda: numpy_grad(p, xs),
    }
    jax = peer("jax")
    if jax is None:
        runners["jax jit(grad)"] = skip_note("jax")
    else:
        j_grad = jax.jit(jax.grad(make_scan_loss(jax.numpy, jax.lax.scan)))
        jp, jxs = jax.device_put(p), jax.device_put(xs)
        runners["jax jit(grad)"] = lambda: jax.block_until_ready(j_grad(jp, jxs))
    autograd = peer("autograd")
    if autograd is None:
        runners["autograd (Python loop)"] = skip_note("autograd")
    else:
        a_grad = autograd.grad(make_loop_loss(autograd.numpy))
        runners["autograd (Python loop)"] = lambda: a_grad(p, xs)
    runners["torch (Python loop)"] = _torch(p, xs)
    return runners


def _torch(p: Params, xs: np.ndarray) -> Callable[[], Any] | str:
    torch = peer("torch")
    if torch is None:
        return skip_note("torch")
    tp = {k: torch.tensor(v, requires_grad=True) for k, v in p.items()}
    txs = torch.tensor(xs)
    loss = make_loop_loss(torch)

    def run() -> dict[str, Any]:
        grads = torch.autograd.grad(loss(tp, txs), [tp[k] for k in NAMES])
        return {k: g.numpy() for k, g in zip(NAMES, grads)}

    return run


@workload("w6_rnn", "jit(grad) of a 100-step tanh RNN (batch 32, hidden 128)")
def w6_rnn(settings: Settings) -> list[Row]:
    p, xs = make_problem()
    want = numpy_grad(p, xs)
    runners = _runners(p, xs)
    calls = {k: v for k, v in runners.items() if not isinstance(v, str)}
    for impl, call in calls.items():
        _check(impl, call(), want)
    measured = measure(calls, settings)
    timings: dict[str, Timing | str] = {
        k: measured.get(k, v)
        for k, v in runners.items()  # type: ignore[misc]
    }
    return compare(
        "w6_rnn",
        f"{STEPS} steps, batch {BATCH}, hidden {HIDDEN}, float64",
        timings,
        reference="funcgrad jit(grad)",
        targets={"jax jit(grad)": TARGET},
    )


# --- the first call, in fresh interpreters --------------------------------------

_CHILD = """\
import json, time
{imports}
from benchmarks.workloads import rnn
p, xs = rnn.make_problem({steps})
{setup}
t0 = time.perf_counter()
out = {call}
first = time.perf_counter() - t0
t0 = time.perf_counter()
{call}
second = time.perf_counter() - t0
rnn._check("{impl}", out, rnn.numpy_grad(p, xs))
print(json.dumps({{"first": first, "second": second}}))
"""

_FUNCGRAD = dict(
    imports="import funcgrad as fg\nimport funcgrad.numpy as fnp",
    setup="f = fg.jit(fg.grad(rnn.make_scan_loss(fnp, fg.lax.scan)))",
    call="f(p, xs)",
)
_JAX = dict(
    imports='import jax\njax.config.update("jax_enable_x64", True)',
    setup=(
        "f = jax.jit(jax.grad(rnn.make_scan_loss(jax.numpy, jax.lax.scan)))\n"
        "jp, jxs = jax.block_until_ready(jax.device_put((p, xs)))"
    ),
    call="jax.block_until_ready(f(jp, jxs))",
)


def _first_call(impl: str, steps: int, env: dict[str, str]) -> dict[str, float]:
    parts = _FUNCGRAD if impl == "funcgrad" else _JAX
    source = _CHILD.format(impl=impl, steps=steps, **parts)
    out = subprocess.run(
        [sys.executable, "-c", source],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    if out.returncode:
        raise RuntimeError(f"the {impl} first-call child failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


@workload("w6_rnn_first_call", "first call of W6's jit(grad) at 100 and 1,000 steps")
def w6_rnn_first_call(settings: Settings) -> list[Row]:
    have_jax = peer("jax") is not None
    rounds = 3 if settings.quick else 5  # each funcgrad child compiles for seconds
    lengths = (STEPS, 10 * STEPS)
    samples: dict[tuple[str, int], list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="funcgrad-w6-") as root:
        env = _child_env(
            {"PYTHONPYCACHEPREFIX": os.path.join(root, "pycache")},
            drop="PYTHONDONTWRITEBYTECODE",
        )
        env.pop("NUMBA_CACHE_DIR", None)
        for round_ in range(rounds + 1):
            for steps in lengths:
                cache = {"FUNCGRAD_CACHE_DIR": os.path.join(root, f"k{round_}-{steps}")}
                got = {
                    "cold": _first_call("funcgrad", steps, {**env, **cache}),
                    "warm": _first_call("funcgrad", steps, {**env, **cache}),
                }
                if have_jax:
                    got["jax"] = _first_call("jax", steps, env)
                if round_:  # the first round warms the disk and bytecode caches
                    for kind, seconds in got.items():
                        samples.setdefault((kind, steps), []).append(seconds)
    return _first_call_rows(samples, lengths, have_jax)


def _first_call_rows(
    samples: dict[tuple[str, int], list[dict[str, float]]],
    lengths: tuple[int, int],
    have_jax: bool,
) -> list[Row]:
    def timing(kind: str, steps: int) -> Timing | str:
        if kind == "jax" and not have_jax:
            return skip_note("jax")
        values = [s["first"] for s in samples[(kind, steps)]]
        return Timing(statistics.median(values), min(values), 1, len(values))

    short, long = lengths
    rows = []
    for kind, case, targets in (
        (
            "cold",
            "first call, empty kernel cache",
            {f"funcgrad, {short} steps": LENGTH_TARGET},
        ),
        ("warm", "first call, second process (warm kernel cache)", {}),
    ):
        impls = {
            f"funcgrad, {long} steps": timing(kind, long),
            f"funcgrad, {short} steps": timing(kind, short),
            f"jax, {long} steps": timing("jax", long),
            f"jax, {short} steps": timing("jax", short),
        }
        case_rows = compare(
            "w6_rnn_first_call",
            case,
            impls,
            reference=f"funcgrad, {long} steps",
            targets=targets,
        )
        for row, (kind_, steps) in zip(
            case_rows, [(kind, long), (kind, short), ("jax", long), ("jax", short)]
        ):
            if row.seconds is not None:
                second = statistics.median(s["second"] for s in samples[(kind_, steps)])
                row.note = f"second call {second * 1e3:.3g} ms"
        rows += case_rows
    return rows
