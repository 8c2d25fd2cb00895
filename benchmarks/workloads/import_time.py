"""`import_time`: how long `import funcgrad` takes in a fresh interpreter.

Each run starts a new Python, times the import with `time.perf_counter`
inside it (so interpreter start-up is left out) and reports whether numba
was imported along the way. The first round only warms the disk cache and
the bytecode caches and is not counted; the rounds alternate between the
modules so that a slow moment of the machine hits them all alike. numpy
is measured too: funcgrad cannot import faster than numpy, which it needs.

Two cases:
- "bytecode cached", the import an installed package sees: the children
  write and reuse `.pyc` files under a temporary `PYTHONPYCACHEPREFIX`
  (the checkout is left untouched). The target applies here.
- "environment as is": the children inherit this process's environment
  unchanged. Where `PYTHONDONTWRITEBYTECODE` is set and the checkout has
  no `__pycache__`, every import compiles funcgrad's sources again.
"""

from __future__ import annotations

import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks._harness import Row, Settings, Timing, compare, workload

TARGET_SECONDS = 0.3
REPO_ROOT = Path(__file__).resolve().parents[2]

_CHILD = """\
import sys, time, json
t0 = time.perf_counter()
import {module}
seconds = time.perf_counter() - t0
print(json.dumps({{"seconds": seconds, "numba": "numba" in sys.modules}}))
"""


@workload("import_time", "`import funcgrad` in a fresh interpreter")
def run(settings: Settings) -> list[Row]:
    peers, missing = ["numpy"], {}
    for name in ("autograd", "jax", "torch"):
        if importlib.util.find_spec(name) is None:
            missing[f"import {name}"] = f"skipped: {name} is not installed"
        else:
            peers.append(name)

    with tempfile.TemporaryDirectory(prefix="funcgrad-pycache-") as prefix:
        cached = _child_env(
            {"PYTHONPYCACHEPREFIX": prefix}, drop="PYTHONDONTWRITEBYTECODE"
        )
        rows = _case("bytecode cached", ["funcgrad", *peers], cached, settings, missing)
    rows[0].target = f"< {TARGET_SECONDS:g} s"
    rows[0].met = rows[0].seconds is not None and rows[0].seconds < TARGET_SECONDS
    dont_write = os.environ.get("PYTHONDONTWRITEBYTECODE", "unset")
    rows += _case(
        f"environment as is (PYTHONDONTWRITEBYTECODE={dont_write})",
        ["funcgrad", "numpy"],
        _child_env({}),
        settings,
        {},
    )
    return rows


def _case(
    case: str,
    modules: list[str],
    env: dict[str, str],
    settings: Settings,
    missing: dict[str, str],
) -> list[Row]:
    """Rows for importing each of `modules` in fresh interpreters; the first
    module is the reference the others are compared with."""
    samples: dict[str, list[float]] = {m: [] for m in modules}
    numba_seen = False
    for round_ in range(settings.subprocess_runs + 1):
        for module in modules:
            seconds, numba = _import_once(module, env)
            if round_:  # the first round is warm-up
                samples[module].append(seconds)
            numba_seen |= module == "funcgrad" and numba

    timings: dict[str, Timing | str] = {
        f"import {m}": Timing(statistics.median(s), min(s), 1, len(s))
        for m, s in samples.items()
    }
    timings.update(missing)
    rows = compare("import_time", case, timings, f"import {modules[0]}")
    rows[0].note = "numba imported" if numba_seen else "numba not imported"
    rows[0].extra["numba_imported"] = numba_seen
    return rows


def _child_env(extra: dict[str, str], drop: str = "") -> dict[str, str]:
    """This environment with the checkout first on `PYTHONPATH`, as it is
    for `benchmarks/run.py` itself, plus `extra` and less `drop`."""
    env = {k: v for k, v in os.environ.items() if k != drop}
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p
    )
    env.update(extra)
    return env


def _import_once(module: str, env: dict[str, str]) -> tuple[float, bool]:
    """Seconds `import module` took in a new interpreter, and whether numba
    ended up in its `sys.modules`."""
    out = subprocess.run(
        [sys.executable, "-c", _CHILD.format(module=module)],
        env=env,
        capture_output=True,
        text=True,
    )
    if out.returncode:
        raise RuntimeError(
            f"`import {module}` failed in a fresh interpreter:\n{out.stderr}"
        )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return result["seconds"], result["numba"]
