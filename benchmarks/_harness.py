"""The pieces every benchmark workload shares: settings, the timer, result
rows, the registry of workloads and the import of optional peers.

A workload is a function `(Settings) -> list[Row]` registered with
`@workload(name, summary)`; `benchmarks/run.py` runs the registered ones in
the order their modules were imported and prints their rows as one table.
"""

from __future__ import annotations

import gc
import importlib
import statistics
import timeit
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

# --- settings and timing ------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """How hard to measure: `--quick` trades precision for a short run."""

    quick: bool = False
    repeats: int = 7  # timed repeats; the median is reported
    min_time: float = 0.2  # seconds each repeat runs for, at least
    warmup: int = 3  # untimed calls before calibrating
    subprocess_runs: int = 11  # fresh interpreters for start-up workloads

    @classmethod
    def make(cls, quick: bool) -> Settings:
        if quick:
            return cls(quick, repeats=5, min_time=0.05, warmup=2, subprocess_runs=5)
        return cls()


@dataclass(frozen=True)
class Timing:
    """Seconds per call: the median over repeats, and the fastest repeat."""

    median: float
    best: float
    number: int  # calls per repeat
    repeats: int


# Unlike `timeit`'s default, the garbage collector stays on while timing:
# tracing builds reference cycles, and collecting them is part of the cost a
# training loop pays.
_SETUP = "import gc; gc.enable()"


def measure(
    stmts: dict[str, str | Callable[[], Any]],
    settings: Settings,
    namespace: dict[str, Any] | None = None,
) -> dict[str, Timing]:
    """Time each statement the way `timeit` does: warm up, find a loop count
    that runs for `settings.min_time`, then take the median of the repeats.

    The repeats are interleaved (one of each statement in turn, starting
    from a different one each round), so that other work on the machine
    slows all of them alike and their ratios stay meaningful. A string statement is compiled into the timing loop, with
    no extra call per iteration, which matters for sub-microsecond calls.
    """
    # The peers' imports (jax, torch) leave millions of long-lived objects
    # that a process without them does not have; freeze them so that the
    # collections each statement triggers do not rescan them.
    gc.collect()
    gc.freeze()
    timers = {
        k: timeit.Timer(s, setup=_SETUP, globals=namespace) for k, s in stmts.items()
    }
    numbers = {k: _calibrate(t, settings) for k, t in timers.items()}
    per_call: dict[str, list[float]] = {k: [] for k in stmts}
    order = list(timers)
    for r in range(settings.repeats):
        # Rotate who goes first: a peer that leaves its threads spinning
        # (torch's OpenMP, XLA) slows whichever statement follows it, so no
        # statement may always follow the same one.
        shift = r % len(order)
        for k in order[shift:] + order[:shift]:
            per_call[k].append(timers[k].timeit(numbers[k]) / numbers[k])
    return {
        k: Timing(statistics.median(v), min(v), numbers[k], settings.repeats)
        for k, v in per_call.items()
    }


def _calibrate(timer: timeit.Timer, settings: Settings) -> int:
    """Warm up, then the number of calls that runs for `min_time`."""
    for _ in range(settings.warmup):
        timer.timeit(1)
    number = 1
    while True:
        elapsed = timer.timeit(number)
        if elapsed >= settings.min_time:
            return number
        number = max(number * 2, int(number * settings.min_time / max(elapsed, 1e-9)))


# --- results ------------------------------------------------------------------


@dataclass
class Row:
    """One line of the results table.

    `ratio` is the reference implementation's time divided by this row's
    time (how many times slower funcgrad is than this implementation); it
    is empty on the reference row itself. `target` names the limit this
    row is checked against and `met` says whether it holds (None when the
    row has no target).
    """

    workload: str
    case: str
    impl: str
    seconds: float | None  # the median
    best: float | None = None  # the fastest repeat; far below the median = noise
    ratio: float | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def compare(
    workload: str,
    case: str,
    timings: dict[str, Timing | str],
    reference: str = "funcgrad",
    targets: dict[str, float] | None = None,
) -> list[Row]:
    """Rows for one case: each implementation's median and the ratio of
    `reference`'s median to it. A timing given as a string is a skip note.

    `targets` maps an implementation to the largest allowed ratio, so
    `{"autograd": 1.3}` reads "funcgrad takes at most 1.3x autograd's time".
    """
    targets = targets or {}
    ref = timings[reference]
    if not isinstance(ref, Timing):
        raise ValueError(f"{workload}/{case}: the reference {reference} did not run")
    rows = []
    for impl, timing in timings.items():
        if isinstance(timing, str):
            row = Row(workload, case, impl, None, note=timing)
            if impl in targets:  # a target that cannot be checked this run
                row.target = f"<= {targets[impl]:g}x"
            rows.append(row)
            continue
        row = Row(workload, case, impl, timing.median, timing.best)
        if impl != reference:
            row.ratio = ref.median / timing.median
        if impl in targets:
            row.target = f"<= {targets[impl]:g}x"
            row.met = row.ratio is not None and row.ratio <= targets[impl]
        rows.append(row)
    return rows


# --- the registry -------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    name: str
    summary: str
    run: Callable[[Settings], list[Row]]


WORKLOADS: dict[str, Workload] = {}


def workload(
    name: str, summary: str
) -> Callable[[Callable[[Settings], list[Row]]], Callable[[Settings], list[Row]]]:
    """Register a workload under `name`; `summary` is one line for `--list`."""

    def register(run: Callable[[Settings], list[Row]]) -> Callable[..., list[Row]]:
        if name in WORKLOADS:
            raise ValueError(f"a workload named {name!r} is already registered")
        WORKLOADS[name] = Workload(name, summary, run)
        return run

    return register


# --- optional peers -----------------------------------------------------------

_missing: dict[str, str] = {}


def peer(name: str) -> ModuleType | None:
    """Import an optional peer library, or None (remembering why) when it is
    not installed, so that the benchmarks run with funcgrad alone.

    jax is configured once here: `jax_enable_x64`, so that float64
    workloads stay float64 (float32 inputs stay float32 either way).
    """
    if name in _missing:
        return None
    try:
        module = importlib.import_module(name)
    except ImportError as err:
        _missing[name] = f"skipped: {name} is not installed ({err.msg})"
        return None
    if name == "jax":
        module.config.update("jax_enable_x64", True)
    return module


def skip_note(name: str) -> str:
    """Why `peer(name)` returned None, for a skip row."""
    return _missing.get(name, f"skipped: {name} is not installed")
