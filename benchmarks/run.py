"""Run funcgrad's benchmarks and print one table of times and ratios.

    python benchmarks/run.py            # every workload, full precision
    python benchmarks/run.py --quick    # fewer, shorter repeats
    python benchmarks/run.py --only mlp_value_and_grad --json out.json

All workloads run in this one process, so every ratio compares numbers
measured side by side. The peers (autograd, jax, torch) are optional: a
missing one gets a "skipped" row. The funcgrad measured is the one in this
checkout. See benchmarks/README.md for what each workload measures.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
from importlib import metadata
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # this checkout's funcgrad and benchmarks

import numpy as np  # noqa: E402

import funcgrad  # noqa: E402
from benchmarks import workloads  # noqa: E402, F401  (registers the workloads)
from benchmarks._harness import WORKLOADS, Row, Settings  # noqa: E402

_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS")


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.list:
        for w in WORKLOADS.values():
            print(f"{w.name:24} {w.summary}")
        return 0
    names = args.only.split(",") if args.only else list(WORKLOADS)
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown:
        sys.exit(f"unknown workload(s) {unknown}; `--list` shows them")

    settings = Settings.make(args.quick)
    env = environment()
    print(format_environment(env, settings))
    rows: list[Row] = []
    for name in names:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        rows += WORKLOADS[name].run(settings)
    print(format_table(rows))
    print(format_verdict(rows))
    print(f"load {_load():.2f} at the end")
    if args.json:
        _write_json(args.json, env, settings, rows)
    return 0


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter, noisier run")
    parser.add_argument("--only", help="comma-separated workload names")
    parser.add_argument("--list", action="store_true", help="list the workloads")
    parser.add_argument("--json", metavar="FILE", help="also write rows as JSON")
    return parser.parse_args(argv)


# --- what the numbers were measured on ----------------------------------------


def environment() -> dict[str, str]:
    env = {
        "date": datetime.date.today().isoformat(),
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "funcgrad": f"{funcgrad.__version__} ({Path(funcgrad.__file__).parent})",
        "numpy": f"{np.__version__}, BLAS {_blas_name()}",
    }
    for name in ("autograd", "jax", "torch"):
        env[name] = _version(name)
    env["load"] = f"{_load():.2f} at start (1-minute average; other work skews timings)"
    env["threads"] = ", ".join(
        f"{v}={os.environ.get(v, 'unset')}" for v in _THREAD_VARS
    )
    return env


def _load() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _blas_name() -> str:
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas['name']} {blas.get('version', '')}".strip()
    except Exception:  # the layout of numpy's config is not a stable API
        return "unknown"


def format_environment(env: dict[str, str], settings: Settings) -> str:
    mode = "quick" if settings.quick else "full"
    lines = [f"{k:9} {v}" for k, v in env.items()]
    lines.append(
        f"{'timing':9} {mode}: median of {settings.repeats} repeats of at least "
        f"{settings.min_time:g} s each, {settings.subprocess_runs} subprocess runs"
    )
    return "\n".join(lines) + "\n"


# --- the table ----------------------------------------------------------------


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def format_table(rows: list[Row]) -> str:
    header = (
        "workload",
        "case",
        "impl",
        "median",
        "best",
        "funcgrad/impl",
        "target",
        "met",
    )
    body = [
        (
            r.workload,
            r.case,
            r.impl,
            format_seconds(r.seconds),
            format_seconds(r.best),
            "" if r.ratio is None else f"{r.ratio:.2f}x",
            r.target,
            {True: "yes", False: "NO", None: ""}[r.met],
            r.note,
        )
        for r in rows
    ]
    widths = [max(len(x[i]) for x in [header, *body]) for i in range(len(header))]
    aligns = "<<<>>><<"

    def line(cells: tuple[str, ...]) -> str:
        parts = [f"{c:{a}{w}}" for c, a, w in zip(cells, aligns, widths)]
        return "  ".join(parts + list(cells[len(widths) :])).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(b) for b in body)])


def format_verdict(rows: list[Row]) -> str:
    checked = [r for r in rows if r.met is not None]
    missed = [r for r in checked if not r.met]
    unchecked = [r for r in rows if r.target and r.met is None]
    lines = [f"\ntargets: {len(checked) - len(missed)} of {len(checked)} met"]
    lines += [f"  missed: {r.workload} / {r.case} vs {r.impl}" for r in missed]
    lines += [
        f"  not checked: {r.workload} / {r.case} vs {r.impl} ({r.note})"
        for r in unchecked
    ]
    return "\n".join(lines)


def _write_json(
    path: str, env: dict[str, str], settings: Settings, rows: list[Row]
) -> None:
    data = {
        "environment": env,
        "quick": settings.quick,
        "rows": [r.__dict__ for r in rows],
    }
    Path(path).write_text(json.dumps(data, indent=2) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
