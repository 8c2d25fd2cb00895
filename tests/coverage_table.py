"""Generate docs/coverage.md: for every public function of `funcgrad.numpy`,
what funcgrad can do with it.

Each function is traced on the arguments of its first case in the
front-end table (`tests/test_numpy.py`), and the primitives of its program
(also inside the programs of custom derivatives) are looked up in the
library's registries: jvp rules (forward derivatives), transpose rules
(reverse derivatives need the linear part of every jvp to transpose),
batching rules and backend lowerings. The reverse column is then confirmed
by running `vjp` on the sample, so the table never claims what fails.

    python tests/coverage_table.py          # rewrite docs/coverage.md
    python tests/coverage_table.py --check  # exit 1 if it is out of date

`tests/test_coverage_table.py` runs the check.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import funcgrad as fg  # noqa: E402
import funcgrad.numpy as fnp  # noqa: E402
from funcgrad.backend import (  # noqa: E402
    array_lowerings,
    elementwise_lowerings,
    reduction_lowerings,
    threaded_primitives,
)
from funcgrad.core import ClosedJaxpr, Jaxpr, Primitive  # noqa: E402
from funcgrad.transforms import batch_rules, jvp_rules  # noqa: E402

OUT = HERE.parent / "docs" / "coverage.md"


def _primitives(jaxpr: Jaxpr) -> Iterator[Primitive]:
    for eqn in jaxpr.eqns:
        yield eqn.primitive
        for value in eqn.params.values():
            inner = value.jaxpr if isinstance(value, ClosedJaxpr) else value
            if isinstance(inner, Jaxpr):
                yield from _primitives(inner)


def _compiled(primitives: set[Primitive]) -> str:
    kinds = set()
    for p in primitives:
        if p in threaded_primitives:
            kinds.add("BLAS/LAPACK")
        elif p in elementwise_lowerings or p in reduction_lowerings:
            kinds.add("fused")
        elif p in array_lowerings:
            kinds.add("whole-program")
        else:
            kinds.add(f"numpy ({p.name})")
    if not kinds:
        return "nothing to run"
    return ", ".join(sorted(kinds))


def _differentiable(args: tuple) -> list[int]:
    return [k for k, a in enumerate(args) if np.asarray(a).dtype.kind == "f"]


def _sample(case: Any) -> tuple[tuple, Any]:
    """The arguments of the case in the first dtype that numpy accepts."""
    for dtype in (np.float64, np.float32, np.int64, np.bool_):
        if dtype not in case.dtypes:
            continue
        args = case.args(dtype)
        try:
            case.fn(np, *args)
        except Exception:
            continue
        return args, dtype
    raise ValueError(f"no dtype of case {case.label} works in numpy")


def row(name: str, case: Any) -> tuple[str, ...]:
    args, _ = _sample(case)

    def fn(*a: Any) -> Any:
        return case.fn(fnp, *a)

    program = fg.make_jaxpr(fn)(*args)
    prims = set(_primitives(program.jaxpr))
    kept = [k for k, v in enumerate(program.jaxpr.outvars) if v.aval.dtype.kind == "f"]
    out_float = bool(kept)  # integer outputs (a rank, a flag) are left out
    floats = _differentiable(args)
    if not floats or not out_float:
        forward = reverse = "n/a (integer or boolean)"
    else:
        missing = sorted(p.name for p in prims if p not in jvp_rules)
        forward = "yes" if not missing else f"no ({', '.join(missing)})"
        reverse = forward
        if forward == "yes":
            try:

                def partial(*xs: Any) -> Any:
                    full = list(args)
                    for k, x in zip(floats, xs):
                        full[k] = x
                    outs = fg.tree_util.tree_leaves(fn(*full))
                    return [outs[k] for k in kept]

                out, pullback = fg.vjp(partial, *[args[k] for k in floats])
                pullback(fg.tree_util.tree_map(np.ones_like, out))
            except Exception as err:  # the table reports it; tests catch it
                reverse = f"no ({type(err).__name__})"
    no_batch = sorted(p.name for p in prims if p not in batch_rules)
    vmap = "yes" if not no_batch else f"no ({', '.join(no_batch)})"
    return (f"`{name}`", "yes", forward, reverse, vmap, _compiled(prims))


class _Probe:
    """A sample call of a function outside `funcgrad.numpy`'s case tables:
    `fn(xp, *args)` ignores `xp` and calls the function itself."""

    dtypes = (np.float64,)

    def __init__(self, label: str, call: Any, args: tuple) -> None:
        # arrays are traced; anything else (an order, a tuple) stays static
        self.label, self._call, self._all = label, call, args
        self._traced = [k for k, a in enumerate(args) if isinstance(a, np.ndarray)]

    def args(self, dtype: Any) -> tuple:
        return tuple(self._all[k] for k in self._traced)

    def fn(self, xp: Any, *args: Any) -> Any:
        full = list(self._all)
        for k, a in zip(self._traced, args):
            full[k] = a
        return self._call(*full)


def _namespace_probes() -> dict[str, list[tuple[str, Any]]]:
    """For each other namespace, (name, probe) for its public functions,
    on well-conditioned samples (`python tests/coverage_table.py` lists a
    function without a working sample as untested)."""
    import funcgrad.nn as nn
    import funcgrad.numpy.linalg as la
    import funcgrad.scipy.linalg as sla
    import funcgrad.scipy.special as special

    rng = np.random.default_rng(0)
    q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    spd = q @ np.diag([1.0, 2.0, 3.0]) @ q.T
    lower = np.linalg.cholesky(spd)
    vec = np.array([0.3, 0.5, 0.7])
    tall = rng.standard_normal((4, 3))
    unary = (vec,)
    special_args: dict[str, tuple] = {
        "polygamma": (1, vec),
        "xlogy": (vec, vec),
        "xlog1py": (vec, vec),
    }
    linalg_args: dict[str, tuple] = {
        "solve": (spd, vec),
        "lstsq": (tall, rng.standard_normal(4)),
        "multi_dot": (spd, tall.T, tall),
        "matrix_power": (spd, 3),
        "vector_norm": (vec,),
        "pinv": (tall,),
    }
    scipy_linalg_args: dict[str, tuple] = {
        "solve_triangular": (lower, vec),
        "cho_solve": ((lower, True), vec),
        "cho_factor": (spd,),
        "cholesky": (spd,),
    }
    nn_args: dict[str, tuple] = {"one_hot": (np.array([0, 2, 1]), 3)}

    def probes(module: Any, table: dict, default: tuple) -> list[tuple[str, Any]]:
        out = []
        for name in sorted(getattr(module, "__all__", dir(module))):
            fn = getattr(module, name)
            if name.startswith("_") or not callable(fn) or isinstance(fn, type):
                continue
            if name == "multi_dot":  # takes its matrices as one list
                fn = lambda *ms, _f=fn: _f(list(ms))  # noqa: E731
            out.append((name, _Probe(name, fn, table.get(name, default))))
        return out

    return {
        "funcgrad.numpy.linalg": probes(la, linalg_args, (spd,)),
        "funcgrad.scipy.linalg": probes(sla, scipy_linalg_args, (spd,)),
        "funcgrad.scipy.special": probes(special, special_args, unary),
        "funcgrad.nn": probes(nn, nn_args, unary),
    }


def public_names() -> list[str]:
    return sorted(
        n
        for n in dir(fnp)
        if not n.startswith("_")
        and callable(getattr(fnp, n))
        and not isinstance(getattr(fnp, n), type)
    )


def table() -> str:
    import test_arrays
    import test_numpy

    first = {}
    for case in test_numpy.CASES:
        if case.name and case.name not in first:
            first[case.name] = case
    for case in test_arrays.CASES:  # labelled "name" or "name-variant"
        name = case.label if hasattr(fnp, case.label) else case.label.split("-")[0]
        first.setdefault(name, case)
    lines = [
        "# What funcgrad can do with each function",
        "",
        "Generated by `python tests/coverage_table.py` from funcgrad's",
        "registries (do not edit by hand; `tests/test_coverage_table.py` fails",
        "when it is out of date). Each `funcgrad.numpy` function is traced on",
        "the arguments of its first case in `tests/test_numpy.py` or",
        "`tests/test_arrays.py` (float64",
        "where numpy accepts them);",
        "the columns say whether every primitive of the program has a jvp",
        "rule (forward), whether `vjp` then runs (reverse), whether every",
        "primitive has a batching rule (vmap), and how `jit` runs the",
        "primitives: fused into numba kernels, through BLAS or LAPACK, as steps of a",
        "whole compiled program, or through numpy (the primitive named).",
        "The other namespaces (below the first table) are traced on fixed,",
        "well-conditioned samples (`_namespace_probes` in the script).",
        "",
        "| function | values | forward | reverse | vmap | jit |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    untested = []
    for name in public_names():
        case = first.get(name)
        if case is None:
            untested.append(name)
            continue
        lines.append("| " + " | ".join(row(name, case)) + " |")
    if untested:
        lines += [
            "",
            "Not in the table (tested elsewhere, without a case to trace): "
            + ", ".join(f"`{n}`" for n in untested)
            + ".",
        ]
    for namespace, probes in _namespace_probes().items():
        lines += [
            "",
            f"## `{namespace}`",
            "",
            "| function | values | forward | reverse | vmap | jit |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for name, probe in probes:
            lines.append("| " + " | ".join(row(name, probe)) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    text = table()
    if "--check" in argv:
        if not OUT.exists() or OUT.read_text() != text:
            print(f"{OUT} is out of date: run python tests/coverage_table.py")
            return 1
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
