"""Fused elementwise kernels: generated source, numba compilation and the
two caches (in memory, and numba's on disk).

A kernel is generated from a group's structure alone: its equations, their
parameters and dtypes, numbered in order. Two groups of the same structure
anywhere, in any program, share one kernel, and numba compiles it once per
type signature (dtypes, rank, memory layout). The source is written to a
file in `funcgrad.config.cache_dir` so that numba's `cache=True` can keep
the machine code for the next process.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

from funcgrad.backend._fusion import Group, is_reduction
from funcgrad.backend._registry import (
    exact_fallbacks,
    literal,
    lower_elementwise,
    reduction_lowerings,
)
from funcgrad.config import config
from funcgrad.core import Literal, Var
from funcgrad.errors import FuncgradError

logger = logging.getLogger("funcgrad.backend")

_kernels: dict[str, Any] = {}  # source -> numba dispatcher
# Bump when generated sources or their loading change, so that old cache
# entries are never read.
_CACHE_VERSION = "kernels-v1"


class CompileStats:
    """How many kernel signatures were compiled (or loaded from the disk
    cache: `from_disk` of them) in this process, the seconds their first
    calls took, and how many times a program looked a kernel up."""

    def __init__(self) -> None:
        self.kernels = 0
        self.signatures = 0
        self.seconds = 0.0
        self.from_disk = 0
        self.lookups = 0

    def __repr__(self) -> str:
        return (
            f"CompileStats(kernels={self.kernels}, signatures={self.signatures}, "
            f"seconds={self.seconds:.2f}, from_disk={self.from_disk}, "
            f"lookups={self.lookups})"
        )


stats = CompileStats()


def kernel_source(group: Group, parallel: bool = False) -> str:
    """The Python source of the kernel that computes `group` in one pass.

    The kernel takes the loop bounds, the group's inputs (arrays reshaped
    by `aligned_shape`, or scalars) and its outputs, allocated by the caller:
    elementwise outputs of the loop shape, and reduction outputs with the
    reduced axes kept as length 1 and filled with the reduction's identity.
    With `parallel`, the outermost loop is a `numba.prange`.
    """
    rank = len(group.shape)
    bounds = [f"n{k}" for k in range(rank)]
    names = {
        v: (f"s{i}" if v.aval.shape == () else f"a{i}")
        for i, v in enumerate(group.inputs)
    }
    outs = [f"o{j}" for j in range(len(group.outputs))]
    params = bounds + [names[v] for v in group.inputs] + outs
    lines = [f"def kernel({', '.join(params)}):"]
    lines += emit_loops(group, names, outs, bounds, "    ", parallel)
    return "\n".join(lines) + "\n"


def aligned_shape(shape: tuple[int, ...], loop: tuple[int, ...]) -> tuple[int, ...]:
    """An input's shape with leading 1s up to the loop's rank: kernels take
    inputs reshaped so (a view), not broadcast, so that every array they
    read is contiguous and the loop vectorizes."""
    return (1,) * (len(loop) - len(shape)) + tuple(shape)


def input_index(shape: tuple[int, ...], loop: tuple[int, ...]) -> str:
    """How the loop reads an input of `shape` (reshaped by `aligned_shape`):
    index 0 along the axes it is broadcast on."""
    aligned = aligned_shape(shape, loop)
    return ", ".join(
        "0" if n == 1 and m != 1 else f"i{k}"
        for k, (n, m) in enumerate(zip(aligned, loop))
    )


def emit_loops(
    group: Group,
    names: dict[Var, str],
    outs: list[str],
    bounds: list[str],
    indent: str,
    parallel: bool = False,
    prefix: str = "",
) -> list[str]:
    """The loop nest of a group: reads `names` (arrays reshaped by
    `aligned_shape`, or scalars), writes `outs` (one per group output, allocated as
    `kernel_source` describes). Its own temporaries start with `prefix`, so
    several loop nests can share one function.

    If the group has a primitive with an exact fallback (sin, cos), the
    loop also counts the elements its fast lowering may get wrong, and when
    there are any, the whole nest runs again with the exact lowerings
    (reductions restarted from their identity)."""
    counter = f"{prefix}inexact"
    lines, guarded = _loop_nest(
        group, names, outs, bounds, indent, parallel, prefix, counter
    )
    if not guarded:
        return lines
    again = [f"{indent}if {counter} > 0:"]
    slots = {v: j for j, v in enumerate(group.outputs)}
    for eqn in group.eqns:
        if is_reduction(eqn):
            out = eqn.outvars[0]
            init, _ = reduction_lowerings[eqn.primitive]
            identity = literal(init(out.aval.dtype), out.aval.dtype)
            again.append(f"{indent}    {outs[slots[out]]}.fill({identity})")
    exact, _ = _loop_nest(group, names, outs, bounds, indent + "    ", parallel, prefix)
    return [f"{indent}{counter} = 0", *lines, *again, *exact]


def _loop_nest(
    group: Group,
    names: dict[Var, str],
    outs: list[str],
    bounds: list[str],
    indent: str,
    parallel: bool,
    prefix: str,
    counter: str | None = None,
) -> tuple[list[str], bool]:
    """One loop nest computing the group. With a `counter`, fast lowerings
    are used and the elements they may get wrong are added to it; without,
    the exact ones. Returns the lines and whether any guard was counted."""
    names = dict(names)
    rank = len(group.shape)
    index = ", ".join(f"i{k}" for k in range(rank))
    lines = []
    for k in range(rank):
        loop = "numba.prange" if parallel and k == 0 else "range"
        lines.append(f"{indent}for i{k} in {loop}({bounds[k]}):")
        indent += "    "
    for i, v in enumerate(group.inputs):
        if v.aval.shape != ():
            at = input_index(v.aval.shape, group.shape)
            lines.append(f"{indent}{prefix}x{i} = {names[v]}[{at}]")
            names[v] = f"{prefix}x{i}"
    slots = {v: j for j, v in enumerate(group.outputs)}
    elementwise_outs = []
    guards = []
    for n, eqn in enumerate(group.eqns):
        out = eqn.outvars[0]
        if is_reduction(eqn):
            _, combine = reduction_lowerings[eqn.primitive]
            axes = eqn.params["axes"]
            kept = ", ".join("0" if k in axes else f"i{k}" for k in range(rank))
            target = f"{outs[slots[out]]}[{kept}]"
            lines.append(f"{indent}{target} = {combine(target, names[eqn.invars[0]])}")
            continue
        operands = [
            literal(x.val, x.aval.dtype) if type(x) is Literal else names[x]
            for x in eqn.invars
        ]
        fallback = exact_fallbacks.get(eqn.primitive)
        if fallback is not None and counter is not None:
            guard, _ = fallback
            guards.append(guard(*operands))
        expr = lower_elementwise(
            eqn.primitive,
            operands,
            [x.aval.dtype for x in eqn.invars],
            out.aval.dtype,
            eqn.params,
            exact=counter is None,
        )
        assert expr is not None, f"{eqn.primitive.name} was fused without a lowering"
        names[out] = f"{prefix}t{n}"
        elementwise_outs.append(out)
        lines.append(f"{indent}{prefix}t{n} = {expr}")
    for v in elementwise_outs:
        if v in slots:
            lines.append(f"{indent}{outs[slots[v]]}[{index}] = {names[v]}")
    if guards:
        # one statement: numba's parallel loops allow one update of a
        # reduction variable per iteration
        lines.append(f"{indent}{counter} += 1 if ({' or '.join(guards)}) else 0")
    return lines, bool(guards)


_MODULE_HEADER = '''"""A fused funcgrad kernel (generated; safe to delete)."""
import math

import numba
import numpy as np
from funcgrad.backend._vecmath import (
    vm_cos, vm_exp, vm_exp32, vm_expm1, vm_expm1_32, vm_logistic, vm_logistic32,
    vm_sin, vm_tanh, vm_tanh32,
)
# funcgrad.backend._vecmath {vecmath}

@numba.njit(cache=True, nogil=True, error_model="numpy", fastmath={{"contract"}}{options})
'''


def get_kernel(source: str, parallel: bool = False) -> Any:
    key = f"parallel\n{source}" if parallel else source
    stats.lookups += 1
    kernel = _kernels.get(key)
    if kernel is None:
        kernel = _kernels[key] = _load(source, parallel)
        stats.kernels += 1
    return kernel


def _vecmath_digest() -> str:
    """A digest of the vector math the kernels inline: part of each
    kernel's source, so that numba's disk cache never serves a kernel
    compiled against an older version."""
    global _vecmath_text_digest
    if _vecmath_text_digest is None:
        path = Path(__file__).with_name("_vecmath.py")
        _vecmath_text_digest = hashlib.sha1(path.read_bytes()).hexdigest()[:16]
    return _vecmath_text_digest


_vecmath_text_digest: str | None = None


def _load(source: str, parallel: bool) -> Any:
    options = ", parallel=True" if parallel else ""
    text = _MODULE_HEADER.format(options=options, vecmath=_vecmath_digest()) + source
    digest = hashlib.sha1(text.encode()).hexdigest()[:20]
    folder = Path(config.cache_dir) / _CACHE_VERSION
    path = folder / f"k_{digest}.py"
    if not path.exists() or path.read_text() != text:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{digest}.{os.getpid()}.tmp"
        tmp.write_text(text)
        tmp.replace(path)  # atomic: other processes see the old file or this one
    name = f"funcgrad_kernel_{digest}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None, f"cannot load {path}"
    module = importlib.util.module_from_spec(spec)
    # numba's disk cache finds a kernel's globals again by module name.
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module.kernel


def call_kernel(kernel: Any, group: Group, args: list[Any]) -> None:
    """Run a kernel, turning numba's errors into funcgrad's and counting
    first calls (which compile, or load from the disk cache)."""
    # `overloads` is a plain dict; `signatures` rebuilds a list (and costs
    # more than a small kernel's whole run).
    before = len(kernel.overloads)
    start = time.perf_counter()
    try:
        kernel(*args)
    except Exception as err:
        if _from_disk_cache(err):
            # An unreadable disk cache entry (another numba, a moved
            # folder) costs a compile, not an error.
            logger.warning("ignoring funcgrad's kernel cache entry: %s", err)
            kernel._cache = _null_cache()
            kernel(*args)
        elif type(err).__module__.startswith("numba"):
            raise _typing_error(group, err) from err
        else:
            raise
    if len(kernel.overloads) > before:
        elapsed = time.perf_counter() - start
        stats.signatures += 1
        stats.seconds += elapsed
        verb, place = _compile_origin(kernel)
        logger.log(
            config.compile_log_level(),
            "%s kernel of %d equations (%s) for shape %s%s in %.3f s",
            verb,
            len(group.eqns),
            ", ".join(e.primitive.name for e in group.eqns),
            group.shape,
            place,
            elapsed,
        )


def call_whole(kernel: Any, args: list[Any], num_eqns: int) -> Any:
    """Run a whole-program kernel, counting its first calls like a group's."""
    before = len(kernel.overloads)
    start = time.perf_counter()
    try:
        outs = kernel(*args)
    except Exception as err:
        if not _from_disk_cache(err):
            raise
        kernel._cache = _null_cache()
        outs = kernel(*args)
    if len(kernel.overloads) > before:
        elapsed = time.perf_counter() - start
        stats.signatures += 1
        stats.seconds += elapsed
        verb, place = _compile_origin(kernel)
        logger.log(
            config.compile_log_level(),
            "%s a whole program of %d equations%s in %.3f s",
            verb,
            num_eqns,
            place,
            elapsed,
        )
    return outs


# --- compile logs -------------------------------------------------------------


def _compile_origin(kernel: Any) -> tuple[str, str]:
    """How the signature a kernel just gained was made, as the verb and the
    place for its log line: numba counts the signatures it found in its
    disk cache (keyed like `overloads`)."""
    newest = next(reversed(kernel.overloads))
    if kernel.stats.cache_hits.get(newest):
        stats.from_disk += 1
        return "loaded", " from the disk cache"
    return "compiled", ""


def _from_disk_cache(err: Exception) -> bool:
    tb = err.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith("caching.py"):
            return True
        tb = tb.tb_next
    return False


def _null_cache() -> Any:
    from numba.core.caching import NullCache

    return NullCache()


def _typing_error(group: Group, err: Exception) -> FuncgradError:
    avals = ", ".join(v.aval.str_short() for v in group.inputs)
    names = ", ".join(e.primitive.name for e in group.eqns)
    return FuncgradError(
        f"numba could not compile the fused kernel for ({names}) on inputs "
        f"{avals}: {type(err).__name__}: {str(err).splitlines()[0]}. This is a "
        f"funcgrad bug; set `funcgrad.config.update('disable_numba', True)` "
        f"(or FUNCGRAD_DISABLE_NUMBA=1) to run the reference path meanwhile."
    )
