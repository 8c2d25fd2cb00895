"""Workloads of the compiled backend (issue 4): `jit` on concrete arrays,
whose elementwise chains run as fused numba kernels.

- `w1_mlp_jit`: `value_and_grad` of `mlp_value_and_grad`'s float32 MLP
  (batch 256, 784-512-512-10), funcgrad with and without `jit` against the
  hand-written numpy pass, autograd, JAX's `jit` and torch; time per step
  and peak memory per step (tracemalloc, so only for the implementations
  that allocate through numpy). Targets: `jit` at most JAX's `jit` time
  and the hand-written pass's time; its peak at most 1.2x the
  hand-written pass's.
- `w2_rosenbrock`: the gradient of the 10-dimensional Rosenbrock function,
  float64, where the per-call overhead is everything: `grad` against
  autograd and `jit(grad)` against JAX's `jit(grad)` (each at most 1.0x).
- `w3_elementwise`: the gradient of `sum(tanh(x) * sin(x) + exp(-x**2))`
  over 1e6 float64 values, where fusion is everything: `jit(grad)` at most
  JAX's time and half the time of a hand-written numpy gradient.
- `w4_hessian`: `jit(hessian)` of `hessian_logreg`'s loss (200 x 20,
  float64) against JAX's `jit(hessian)` (at most 1.0x).
- `w5_first_call`: the first call of `jit(value_and_grad)` of the W1 loss
  (trace and compile) in a fresh interpreter with an empty kernel cache,
  and again in a second fresh interpreter that finds the cache warm,
  against JAX's first call in a fresh interpreter. Targets: empty cache at
  most 1.0x JAX, warm cache at most 0.25x JAX. Import times are reported
  apart and are not part of the first call.

Every result is checked against a reference before anything is timed
(W5's children check theirs after the one timed call).
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import tracemalloc
from collections.abc import Callable
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
from benchmarks.workloads import mlp
from benchmarks.workloads.import_time import REPO_ROOT, _child_env
from benchmarks.workloads.transforms import _logreg

# --- W1: the MLP step -----------------------------------------------------------

W1 = "w1_mlp_jit"
MEMORY_TARGET = 1.2  # funcgrad jit's peak / the hand-written pass's peak


@workload(W1, "jit(value_and_grad) of the float32 MLP: time and peak memory")
def w1_mlp_jit(settings: Settings) -> list[Row]:
    params, x, y = mlp.make_problem()
    want_value, want_grads = mlp.numpy_value_and_grad(params, x, y)
    loss = mlp.make_loss(fnp)
    eager = fg.value_and_grad(loss)
    jitted = fg.jit(fg.value_and_grad(loss))
    runners: dict[str, Callable[[], Any] | str] = {
        "funcgrad jit": lambda: jitted(params, x, y),
        "funcgrad (no jit)": lambda: eager(params, x, y),
        "numpy by hand": lambda: mlp.numpy_value_and_grad(params, x, y),
    }
    runners.update(mlp._autograd(params, x, y))
    runners["jax jit"] = mlp._jax(params, x, y)["jax (jit)"]
    runners.update(mlp._torch(params, x, y))

    calls = {}
    for impl, call in runners.items():
        if isinstance(call, str):
            continue
        value, grads = mlp._to_numpy(call())
        mlp._check_close(impl, value, grads, want_value, want_grads)
        if impl.startswith("funcgrad"):
            mlp._check_float32(impl, value, grads)
        calls[impl] = call
    measured = measure(calls, settings)
    timings: dict[str, Timing | str] = {
        impl: measured.get(impl, call) for impl, call in runners.items()
    }
    rows = compare(
        W1,
        "batch 256, float32, time per step",
        timings,
        reference="funcgrad jit",
        targets={"jax jit": 1.0, "numpy by hand": 1.0},
    )
    return rows + _memory_rows(runners)


def _memory_rows(runners: dict[str, Callable[[], Any] | str]) -> list[Row]:
    """Peak memory of one step, for the implementations whose arrays numpy
    allocates (numpy reports its buffers to tracemalloc; XLA and torch
    allocate theirs where tracemalloc cannot see them)."""
    case = "batch 256, float32, peak memory per step (tracemalloc)"
    traced = ("funcgrad jit", "funcgrad (no jit)", "numpy by hand", "autograd")
    peaks = {
        impl: _peak_bytes(call)
        for impl, call in runners.items()
        if impl in traced and not isinstance(call, str)
    }
    rows = []
    for impl, call in runners.items():
        row = Row(W1, case, impl, None)
        if impl == "numpy by hand":
            row.target = f"<= {MEMORY_TARGET:g}x"
        if impl in peaks:
            row.note = f"peak {peaks[impl] / 2**20:.2f} MiB"
            row.extra["peak_bytes"] = peaks[impl]
            if impl != "funcgrad jit":
                row.ratio = peaks["funcgrad jit"] / peaks[impl]
            if row.target:
                row.met = row.ratio <= MEMORY_TARGET
        elif isinstance(call, str):
            row.note = call
        else:
            row.note = "n/a: allocates outside tracemalloc"
        rows.append(row)
    return rows


def _peak_bytes(call: Callable[[], Any], repeats: int = 3) -> int:
    """The most memory one call holds at once beyond what was allocated
    before it, results included; the smallest of a few calls."""
    call()  # compiled, cached, warmed up
    peaks = []
    for _ in range(repeats):
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            result = call()
            peaks.append(tracemalloc.get_traced_memory()[1] - before)
            del result
        finally:
            tracemalloc.stop()
    return min(peaks)


# --- W2: Rosenbrock, latency per call ---------------------------------------------


def _rosenbrock(xp: Any) -> Callable[[Any], Any]:
    def rosenbrock(x: Any) -> Any:
        return xp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)

    return rosenbrock


def _rosenbrock_grad(x: np.ndarray) -> np.ndarray:
    """The gradient by hand, the reference the others are checked against."""
    d = x[1:] - x[:-1] ** 2
    g = np.zeros_like(x)
    g[:-1] = -400.0 * x[:-1] * d - 2.0 * (1.0 - x[:-1])
    g[1:] += 200.0 * d
    return g


@workload("w2_rosenbrock", "grad of the 10-d Rosenbrock function: latency per call")
def w2_rosenbrock(settings: Settings) -> list[Row]:
    x = np.linspace(-1.2, 1.1, 10)
    want = _rosenbrock_grad(x)
    grad = fg.grad(_rosenbrock(fnp))
    jit_grad = fg.jit(fg.grad(_rosenbrock(fnp)))
    eager: dict[str, Any] = {"funcgrad grad": lambda: grad(x)}
    jitted: dict[str, Any] = {"funcgrad jit(grad)": lambda: jit_grad(x)}
    autograd = peer("autograd")
    if autograd is None:
        eager["autograd grad"] = skip_note("autograd")
    else:
        a_grad = autograd.grad(_rosenbrock(autograd.numpy))
        eager["autograd grad"] = lambda: a_grad(x)
    jax = peer("jax")
    if jax is None:
        jitted["jax jit(grad)"] = skip_note("jax")
    else:
        j_grad = jax.jit(jax.grad(_rosenbrock(jax.numpy)))
        jx = jax.numpy.asarray(x)
        jitted["jax jit(grad)"] = lambda: j_grad(jx).block_until_ready()

    timings = _measure_checked({**eager, **jitted}, want, settings, rtol=1e-12)
    return compare(
        "w2_rosenbrock",
        "10-d, float64, no jit",
        {k: timings[k] for k in eager},
        reference="funcgrad grad",
        targets={"autograd grad": 1.0},
    ) + compare(
        "w2_rosenbrock",
        "10-d, float64, jit",
        {k: timings[k] for k in jitted},
        reference="funcgrad jit(grad)",
        targets={"jax jit(grad)": 1.0},
    )


def _measure_checked(
    stmts: dict[str, Any], want: np.ndarray, settings: Settings, rtol: float
) -> dict[str, Timing | str]:
    """Check every runnable statement's result against `want`, then time
    them all interleaved; skip notes pass through."""
    runnable = {k: v for k, v in stmts.items() if not isinstance(v, str)}
    for impl, call in runnable.items():
        got = np.asarray(call())
        assert got.dtype == want.dtype, f"{impl}: dtype {got.dtype}, not {want.dtype}"
        scale = float(np.max(np.abs(want)))
        np.testing.assert_allclose(
            got, want, rtol=rtol, atol=rtol * scale, err_msg=impl
        )
    timings: dict[str, Timing | str] = dict(measure(runnable, settings))
    timings.update({k: v for k, v in stmts.items() if isinstance(v, str)})
    return timings


# --- W3: a long elementwise chain ----------------------------------------------------

W3_SIZE = 10**6


def _elementwise(xp: Any) -> Callable[[Any], Any]:
    def f(x: Any) -> Any:
        return xp.sum(xp.tanh(x) * xp.sin(x) + xp.exp(-(x**2)))

    return f


def _elementwise_grad(x: np.ndarray) -> np.ndarray:
    """d/dx [tanh(x) sin(x) + exp(-x^2)], written with numpy by hand."""
    t = np.tanh(x)
    return (1.0 - t * t) * np.sin(x) + t * np.cos(x) - 2.0 * x * np.exp(-x * x)


@workload("w3_elementwise", "jit(grad) of sum(tanh(x)*sin(x) + exp(-x**2)), 1e6")
def w3_elementwise(settings: Settings) -> list[Row]:
    x = np.random.default_rng(3).normal(size=W3_SIZE)
    want = _elementwise_grad(x)
    grad = fg.grad(_elementwise(fnp))
    jit_grad = fg.jit(fg.grad(_elementwise(fnp)))
    stmts: dict[str, Any] = {
        "funcgrad jit(grad)": lambda: jit_grad(x),
        "funcgrad grad (no jit)": lambda: grad(x),
        "numpy by hand": lambda: _elementwise_grad(x),
    }
    jax = peer("jax")
    if jax is None:
        stmts["jax jit(grad)"] = skip_note("jax")
    else:
        j_grad = jax.jit(jax.grad(_elementwise(jax.numpy)))
        jx = jax.numpy.asarray(x)
        stmts["jax jit(grad)"] = lambda: j_grad(jx).block_until_ready()
    timings = _measure_checked(stmts, want, settings, rtol=1e-12)
    return compare(
        "w3_elementwise",
        "1e6 float64",
        timings,
        reference="funcgrad jit(grad)",
        targets={"jax jit(grad)": 1.0, "numpy by hand": 0.5},
    )


# --- W4: a Hessian --------------------------------------------------------------------


@workload("w4_hessian", "jit(hessian) of a logistic-regression loss, 200 x 20")
def w4_hessian(settings: Settings) -> list[Row]:
    rng = np.random.default_rng(1)  # the data of `hessian_logreg`
    x = rng.normal(size=(200, 20))
    y = np.sign(x @ rng.normal(size=20) + 0.1 * rng.normal(size=200))
    w = 0.1 * rng.normal(size=20)
    loss = _logreg(fnp, x, y, 1e-2)
    hessian = fg.hessian(loss)
    jit_hessian = fg.jit(fg.hessian(loss))
    want = hessian(w)
    np.testing.assert_allclose(want, want.T, rtol=1e-12, atol=1e-15)
    stmts: dict[str, Any] = {
        "funcgrad jit(hessian)": lambda: jit_hessian(w),
        "funcgrad hessian (no jit)": lambda: hessian(w),
    }
    jax = peer("jax")
    if jax is None:
        stmts["jax jit(hessian)"] = skip_note("jax")
    else:
        jnp = jax.numpy
        j_hessian = jax.jit(
            jax.hessian(_logreg(jnp, jnp.asarray(x), jnp.asarray(y), 1e-2))
        )
        jw = jnp.asarray(w)
        stmts["jax jit(hessian)"] = lambda: j_hessian(jw).block_until_ready()
    timings = _measure_checked(stmts, want, settings, rtol=1e-9)
    return compare(
        "w4_hessian",
        "200 x 20, float64",
        timings,
        reference="funcgrad jit(hessian)",
        targets={"jax jit(hessian)": 1.0},
    )


# --- W5: the first call, in fresh interpreters -------------------------------------------

W5 = "w5_first_call"
FIRST_CALL_TARGET = 1.0  # empty kernel cache, against JAX's first call
WARM_CACHE_TARGET = 0.25  # second process, warm kernel cache, against JAX

# Each child times its imports and then the first call alone; it checks
# the result against the hand-written pass after the timing.
_CHILD_PRELUDE = """\
import json, sys, time
t0 = time.perf_counter()
{imports}
import_seconds = time.perf_counter() - t0
from benchmarks.workloads import mlp
params, x, y = mlp.make_problem()
"""

_FUNCGRAD_CHILD = """\
f = fg.jit(fg.value_and_grad(mlp.make_loss(fnp)))
t0 = time.perf_counter()
out = f(params, x, y)
first = time.perf_counter() - t0
t0 = time.perf_counter()
f(params, x, y)
second = time.perf_counter() - t0
stats = fg.backend.stats
info = {"kernels": stats.kernels, "signatures": stats.signatures,
        "kernel_seconds": stats.seconds}
"""

_JAX_CHILD = """\
jax.config.update("jax_enable_x64", True)
args = jax.block_until_ready(jax.tree_util.tree_map(jnp.asarray, (params, x, y)))
f = jax.jit(jax.value_and_grad(mlp.make_loss(jnp)))
t0 = time.perf_counter()
out = jax.block_until_ready(f(*args))
first = time.perf_counter() - t0
t0 = time.perf_counter()
jax.block_until_ready(f(*args))
second = time.perf_counter() - t0
info = {"persistent_cache": str(jax.config.jax_compilation_cache_dir)}
"""

_CHILD_CHECK = """\
value, grads = mlp._to_numpy(out)
mlp._check_close("{impl}", value, grads, *mlp.numpy_value_and_grad(params, x, y))
print(json.dumps({{"import": import_seconds, "first": first, "second": second,
                  **info}}))
"""


def _child_source(impl: str) -> str:
    if impl == "funcgrad":
        imports, body = (
            "import funcgrad as fg\nimport funcgrad.numpy as fnp",
            (_FUNCGRAD_CHILD),
        )
    else:
        imports, body = "import jax\nimport jax.numpy as jnp", _JAX_CHILD
    prelude = _CHILD_PRELUDE.format(imports=imports)
    return prelude + body + _CHILD_CHECK.format(impl=impl)


@workload(W5, "first call of jit(value_and_grad) of the MLP, fresh processes")
def w5_first_call(settings: Settings) -> list[Row]:
    have_jax = peer("jax") is not None
    samples: dict[str, list[dict[str, Any]]] = {"cold": [], "warm": [], "jax": []}
    with tempfile.TemporaryDirectory(prefix="funcgrad-w5-") as root:
        env = _child_env(
            {"PYTHONPYCACHEPREFIX": os.path.join(root, "pycache")},
            drop="PYTHONDONTWRITEBYTECODE",
        )
        # numba would otherwise keep the kernels' machine code elsewhere,
        # and the "empty" cache would not be.
        env.pop("NUMBA_CACHE_DIR", None)
        for round_ in range(settings.subprocess_runs + 1):
            cache = os.path.join(root, f"kernels-{round_}")
            cold = _run_child("funcgrad", {**env, "FUNCGRAD_CACHE_DIR": cache})
            warm = _run_child("funcgrad", {**env, "FUNCGRAD_CACHE_DIR": cache})
            jax = _run_child("jax", env) if have_jax else None
            if round_:  # the first round warms the disk and bytecode caches
                samples["cold"].append(cold)
                samples["warm"].append(warm)
                if jax is not None:
                    samples["jax"].append(jax)
    return _first_call_rows(samples, have_jax)


def _run_child(impl: str, env: dict[str, str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", _child_source(impl)],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    if out.returncode:
        raise RuntimeError(f"the {impl} first-call child failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _first_call_rows(
    samples: dict[str, list[dict[str, Any]]], have_jax: bool
) -> list[Row]:
    def timing(kind: str, key: str) -> Timing | str:
        if kind == "jax" and not have_jax:
            return skip_note("jax")
        values = [s[key] for s in samples[kind]]
        return Timing(statistics.median(values), min(values), 1, len(values))

    jax_first = timing("jax", "first")
    cold = compare(
        W5,
        "first call, empty kernel cache",
        {"funcgrad jit": timing("cold", "first"), "jax jit": jax_first},
        reference="funcgrad jit",
        targets={"jax jit": FIRST_CALL_TARGET},
    )
    warm = compare(
        W5,
        "first call, second process (warm kernel cache)",
        {"funcgrad jit": timing("warm", "first"), "jax jit": jax_first},
        reference="funcgrad jit",
        targets={"jax jit": WARM_CACHE_TARGET},
    )
    imports = compare(
        W5,
        "import (not part of the first call)",
        {"funcgrad": timing("cold", "import"), "jax": timing("jax", "import")},
    )
    second = compare(
        W5,
        "second call in the same process",
        {
            "funcgrad jit (empty cache)": timing("cold", "second"),
            "funcgrad jit (warm cache)": timing("warm", "second"),
            "jax jit": timing("jax", "second"),
        },
        reference="funcgrad jit (empty cache)",
    )
    for rows, kind in ((cold, "cold"), (warm, "warm")):
        s = samples[kind][0]
        rows[0].note = (
            f"{s['kernels']} kernels, {s['signatures']} signatures, "
            f"{_median(samples[kind], 'kernel_seconds'):.3f} s in first kernel calls"
        )
        rows[0].extra["kernel_seconds"] = _median(samples[kind], "kernel_seconds")
    if have_jax:
        cold[1].note = f"persistent cache: {samples['jax'][0]['persistent_cache']}"
    return cold + warm + imports + second


def _median(samples: list[dict[str, Any]], key: str) -> float:
    return statistics.median(s[key] for s in samples)
