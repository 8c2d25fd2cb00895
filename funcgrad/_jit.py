"""`jit`: stage a function once per input signature and reuse the program.

The first call with a new signature (pytree structure, shapes, dtypes,
static values) traces the function into a closed Jaxpr and caches it; later
calls run the cached program without calling the Python function again.
The program runs through the evaluator, which binds its primitives, so
`jit` composes with every transform in both directions: under `grad` or
`vmap` the cached program is differentiated or batched like any other code.
The compiled numba backend will replace the evaluator at the one place
marked below.

Each trace is logged on the `funcgrad.jit` logger with its reason and
time, each compile on `funcgrad.backend` with its time and where its
kernels came from (`log_compiles` shows both on stderr); a function traced
more than `retrace_warning_threshold` times gives a `RetraceWarning`. A
function's `cache_info()` counts hits and misses.
"""

from __future__ import annotations

import collections
import functools
import inspect
import logging
import sys
import time
import warnings
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from funcgrad._api import _as_value, _Cell, _to_user
from funcgrad._traceback import (
    RERAISE_KEEPS_TRACEBACK,
    filter_exception,
    register_boundary,
)
from funcgrad.backend import CompiledProgram, compile_program, stats
from funcgrad.config import config
from funcgrad.core import (
    ClosedJaxpr,
    PyTreeDef,
    ShapedArray,
    Tracer,
    eval_jaxpr,
    get_aval,
    is_python_scalar,
    transform_origin,
    tree_flatten,
    tree_unflatten,
)
from funcgrad.core._nans import bad_kind
from funcgrad.errors import FuncgradTypeError, FuncgradValueError, RetraceWarning
from funcgrad.transforms import stage_flat

logger = logging.getLogger("funcgrad.jit")
# Compiles are the backend's business: they are logged where its kernel
# compiles are, so one logger shows all the compile time.
compile_logger = logging.getLogger("funcgrad.backend")
# How many retrace reasons a `RetraceWarning` lists.
_REASONS_SHOWN = 3


@dataclass(frozen=True)
class CacheInfo:
    hits: int
    misses: int
    size: int


@dataclass(frozen=True)
class _Signature:
    tree: PyTreeDef
    shapes: tuple[tuple[int, ...], ...]
    dtypes: tuple[np.dtype, ...]
    weak: tuple[bool, ...]
    statics: tuple[Hashable, ...]


def _avals(leaves: Sequence[Any]) -> list[ShapedArray]:
    out = []
    for x in leaves:
        aval = get_aval(x)
        weak = is_python_scalar(x) or (isinstance(x, Tracer) and aval.weak_type)
        out.append(ShapedArray(aval.shape, aval.dtype, weak_type=weak))
    return out


def _miss_reasons(new: _Signature, seen: list[_Signature]) -> list[tuple[str, str]]:
    """Why `new` is traced: each way it differs from the last signature
    traced, as (kind, description) pairs."""
    if not seen:
        return [("first", "first call")]
    if new in seen:
        return [
            (
                "uncached",
                "an earlier trace with these arguments closed over a traced "
                "value of an enclosing transform, so it was not cached",
            )
        ]
    last = seen[-1]
    if new.tree != last.tree:
        return [("structure", f"new argument structure {new.tree} (was {last.tree})")]
    out = []
    if new.statics != last.statics:
        out.append(("static", f"new static values {new.statics} (were {last.statics})"))
    if new.shapes != last.shapes:
        out.append(("shapes", f"new shapes {new.shapes} (were {last.shapes})"))
    if new.dtypes != last.dtypes:
        dtypes = tuple(d.name for d in new.dtypes)
        before = tuple(d.name for d in last.dtypes)
        out.append(("dtypes", f"new dtypes {dtypes} (were {before})"))
    return out or [("weak", "new Python-scalar (weak) arguments")]


_RETRACE_HINTS = {
    "shapes": "keep the arguments' shapes stable between calls (pad or bucket "
    "sizes that vary)",
    "dtypes": "pass each argument with one dtype (convert with `.astype` "
    "before the call)",
    "static": "pass a value that changes from call to call as an array "
    "rather than through `static_argnums` / `static_argnames`",
    "structure": "keep the pytree structure of the arguments the same, or "
    "mark a Python value that selects the program with `static_argnums`",
    "weak": "pass Python numbers or arrays consistently",
    "uncached": "pass the enclosing transform's values to the function as "
    "arguments instead of closing over them",
}


def _retrace_warning(
    name: str, traces: int, recent: Sequence[tuple[int, list[tuple[str, str]]]]
) -> str:
    """The message of a `RetraceWarning`: `recent` holds the last retraces,
    each its number and its reasons."""
    shown = "; ".join(
        f"trace {n} for {' and '.join(text for _, text in reasons)}"
        for n, reasons in recent
    )
    kinds = dict.fromkeys(kind for _, reasons in recent for kind, _ in reasons)
    hints = [_RETRACE_HINTS[k] for k in kinds if k in _RETRACE_HINTS]
    return (
        f"`jit` of `{name}` has traced it {traces} times, more than "
        f"`retrace_warning_threshold` ({config.retrace_warning_threshold}); "
        f"each trace runs the Python function again and compiles a new "
        f"program. The last retraces: {shown}. To reuse one "
        f"program, {'; '.join(hints)}. "
        f"`funcgrad.config.update('retrace_warning_threshold', 0)` turns "
        f"this warning off."
    )


def jit(
    fun: Callable[..., Any],
    static_argnums: int | Sequence[int] = (),
    static_argnames: str | Sequence[str] = (),
) -> Callable[..., Any]:
    """Trace `fun` once per input signature and run the cached program.

    Args:
      fun: a pure function of arrays (pytrees of arrays).
      static_argnums, static_argnames: arguments passed to `fun` as Python
        values (they must be hashable); a new value retraces.

    The returned function has `cache_info()` (hits, misses, size) and
    `clear_cache()`; each trace is logged on the `funcgrad.jit` logger with
    its reason, each compile on `funcgrad.backend`, and tracing one function
    more than `config.retrace_warning_threshold` times gives a
    `RetraceWarning` (docs/debugging.md).

    >>> import funcgrad as fg, funcgrad.numpy as fnp, numpy as np
    >>> f = fg.jit(lambda x: fnp.sum(fnp.sin(x) ** 2))
    >>> round(float(f(np.ones(3))), 6), round(float(f(np.zeros(3))), 6)
    (2.12422, 0.0)
    >>> f.cache_info().misses
    1
    """
    nums = (
        (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
    )
    names = (
        (static_argnames,)
        if isinstance(static_argnames, str)
        else tuple(static_argnames)
    )
    name = getattr(fun, "__qualname__", getattr(fun, "__name__", "function"))
    nums, names = _resolve_statics(fun, name, nums, names)
    cache: dict[_Signature, _Entry] = {}
    fast: dict[tuple, _Entry] = {}
    fast_trees: dict[tuple, _Entry] = {}
    seen: list[_Signature] = []
    recent: collections.deque = collections.deque(maxlen=_REASONS_SHOWN)
    counts = {"hits": 0, "misses": 0, "warned": 0}

    @functools.wraps(fun)
    def jitted(*args: Any, **kwargs: Any) -> Any:
        # An API boundary written out (see `funcgrad._traceback`): a
        # wrapper's extra call would cost 1% of a small cached call.
        try:
            # The common call, plain arrays and no static arguments, is
            # looked up by shapes and dtypes alone (benchmarks: w2_rosenbrock).
            if not kwargs and not nums:
                key = _array_key(args)
                entry = fast.get(key) if key is not None else None
                if entry is not None:
                    counts["hits"] += 1
                    return _outputs(entry, list(args))
            return call(args, kwargs)
        except Exception as err:
            if filter_exception(err, sys._getframe()) and not RERAISE_KEEPS_TRACEBACK:
                raise err.with_traceback(err.__traceback__)  # noqa: B904 (3.10)
            raise

    def call(args: tuple, kwargs: dict[str, Any]) -> Any:
        statics_pos = {n % len(args) for n in nums if -len(args) <= n < len(args)}
        static_values = tuple(args[i] for i in sorted(statics_pos)) + tuple(
            (k, kwargs[k]) for k in names if k in kwargs
        )
        for value in static_values:
            _check_hashable(value, name)
        dyn_args = tuple(a for i, a in enumerate(args) if i not in statics_pos)
        dyn_kwargs = {k: v for k, v in kwargs.items() if k not in names}
        leaves, tree = tree_flatten((dyn_args, dyn_kwargs))
        # Pytrees of plain arrays (parameters of a model) are looked up by
        # structure, shapes and dtypes alone too (benchmarks: w1_mlp_jit).
        tree_key = _tree_key(tree, leaves, static_values)
        entry = fast_trees.get(tree_key) if tree_key is not None else None
        if entry is not None:
            counts["hits"] += 1
            return _outputs(entry, leaves)
        leaves = [_as_value_keep_scalars(x, i) for i, x in enumerate(leaves)]
        avals = _avals(leaves)
        signature = _Signature(
            tree,
            tuple(a.shape for a in avals),
            tuple(a.dtype for a in avals),
            tuple(a.weak_type for a in avals),
            static_values,
        )
        entry = cache.get(signature)
        if entry is None:
            counts["misses"] += 1
            reasons = _miss_reasons(signature, seen)
            start = time.perf_counter()
            entry = _trace(fun, name, args, statics_pos, kwargs, names, tree, avals)
            logger.log(
                config.compile_log_level(),
                "jit: traced `%s` in %.1f ms; reason: %s",
                name,
                (time.perf_counter() - start) * 1e3,
                "; ".join(text for _, text in reasons),
            )
            seen.append(signature)
            _check_retraces(reasons)
            # A program that closed over a tracer of an enclosing transform
            # is valid for this call only.
            if not any(isinstance(c, Tracer) for c in entry.program.consts):
                cache[signature] = entry
                key = _array_key(args) if not kwargs and not nums else None
                if key is not None:
                    fast[key] = entry
                if tree_key is not None:
                    fast_trees[tree_key] = entry
        else:
            counts["hits"] += 1
        return _outputs(entry, leaves)

    def _check_retraces(reasons: list[tuple[str, str]]) -> None:
        if reasons[0][0] != "first":
            recent.append((len(seen), reasons))
        threshold = config.retrace_warning_threshold
        if threshold > 0 and len(seen) > threshold and not counts["warned"]:
            counts["warned"] = 1
            # stacklevel: this function, `call`, `jitted`, the user's call
            warnings.warn(_retrace_warning(name, len(seen), recent), RetraceWarning, 4)

    def cache_info() -> CacheInfo:
        return CacheInfo(counts["hits"], counts["misses"], len(cache))

    def clear_cache() -> None:
        cache.clear()
        fast.clear()
        fast_trees.clear()
        seen.clear()
        recent.clear()
        counts["warned"] = 0

    register_boundary(jitted)
    jitted.cache_info = cache_info  # type: ignore[attr-defined]
    jitted.clear_cache = clear_cache  # type: ignore[attr-defined]
    return jitted


def _tree_key(tree: PyTreeDef, leaves: list[Any], statics: tuple) -> tuple | None:
    """The argument structure, static values, shapes and dtypes, when every
    leaf is a plain numpy array (the other leaves need `_avals`)."""
    key: list[Any] = [tree, statics]
    for x in leaves:
        if type(x) is not np.ndarray or not x.dtype.isnative:
            return None
        key.append((x.shape, x.dtype))
    return tuple(key)


def _array_key(args: tuple) -> tuple | None:
    """Shapes and dtypes of arguments that are all plain numpy arrays."""
    key = []
    for a in args:
        if type(a) is not np.ndarray or not a.dtype.isnative:
            return None
        key.append((a.shape, a.dtype))
    return tuple(key)


def _outputs(entry: _Entry, leaves: list[Any]) -> Any:
    outs = entry.run(leaves)
    inputs = {id(x) for x in leaves}
    # An output that is an input passed through is copied, so that the
    # caller never holds an alias of its own argument.
    outs = [
        o.copy() if id(o) in inputs and isinstance(o, np.ndarray) else o for o in outs
    ]
    return tree_unflatten(entry.out_tree, [_to_user(o) for o in outs])


@dataclass
class _Entry:
    """A cached program, its output structure and (once run on concrete
    arrays) its compiled form."""

    program: ClosedJaxpr
    out_tree: PyTreeDef
    name: str = "function"
    compiled: CompiledProgram | None = None

    def run(self, leaves: list[Any]) -> list[Any]:
        """Compiled on concrete arrays; through the evaluator under an
        enclosing transform (which then differentiates or batches the
        program's primitives), or when numba is disabled."""
        program = self.program
        if config.disable_numba or any(isinstance(x, Tracer) for x in leaves):
            return eval_jaxpr(program.jaxpr, program.consts, *leaves)
        if self.compiled is None:
            outs = self._compile_and_run(leaves)
        else:
            outs = self.compiled(*leaves)
        if (config.debug_nans or config.debug_infs) and bad_kind(outs):
            # Find the culprit: run again one equation at a time, each
            # checked and attributed to the line that made it.
            eval_jaxpr(program.jaxpr, program.consts, *leaves)
        return outs

    def _compile_and_run(self, leaves: list[Any]) -> list[Any]:
        """The first concrete call: plan the program and run it, which
        compiles its kernels (or finds them in a cache); log how long that
        took and where the kernels came from."""
        before = (stats.signatures, stats.from_disk, stats.lookups)
        start = time.perf_counter()
        self.compiled = compile_program(self.program)
        planned = time.perf_counter()
        outs = self.compiled(*leaves)
        new = stats.signatures - before[0]
        disk = stats.from_disk - before[1]
        # a lookup that made no new signature found one compiled already
        reused = max(stats.lookups - before[2] - new, 0)
        compile_logger.log(
            config.compile_log_level(),
            "jit: compiled `%s` in %.3f s (planned in %.1f ms; kernels: %d "
            "compiled, %d loaded from the disk cache, %d from the memory cache)",
            self.name,
            time.perf_counter() - start,
            (planned - start) * 1e3,
            new - disk,
            disk,
            reused,
        )
        return outs


def _resolve_statics(
    fun: Callable[..., Any], name: str, nums: tuple[int, ...], names: tuple[str, ...]
) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """Make `static_argnums` and `static_argnames` name the same parameters,
    so a static argument is static however it is passed (as JAX does)."""
    try:
        params = list(inspect.signature(fun).parameters.values())
    except (TypeError, ValueError):
        return nums, names
    positional = [
        p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    takes_varargs = any(p.kind == p.VAR_POSITIONAL for p in params)
    takes_varkw = any(p.kind == p.VAR_KEYWORD for p in params)
    for n in nums:
        if not takes_varargs and not -len(positional) <= n < len(positional):
            raise FuncgradValueError(
                f"`jit` of `{name}`: static_argnums={n} is out of range for a "
                f"function of {len(positional)} positional parameters."
            )
    known = {p.name for p in params}
    for k in names:
        if k not in known and not takes_varkw:
            raise FuncgradValueError(
                f"`jit` of `{name}`: static_argnames names `{k}`, which is not "
                f"a parameter of the function."
            )
    more_names = tuple(
        positional[n] for n in nums if -len(positional) <= n < len(positional)
    )
    more_nums = tuple(positional.index(k) for k in names if k in positional)
    return tuple(dict.fromkeys(nums + more_nums)), tuple(
        dict.fromkeys(names + more_names)
    )


def _as_value_keep_scalars(x: Any, index: int) -> Any:
    if is_python_scalar(x):
        return x
    return _as_value(x, f"leaf {index} of the arguments")


def _check_hashable(value: Any, name: str) -> None:
    try:
        hash(value)
    except TypeError:
        raise FuncgradTypeError(
            f"`jit` of `{name}`: a static argument must be hashable, got a "
            f"{type(value).__name__}. Pass a tuple instead of a list or "
            f"array, or make the argument dynamic."
        ) from None


def _trace(
    fun: Callable[..., Any],
    name: str,
    args: tuple,
    statics_pos: set[int],
    kwargs: dict,
    names: tuple[str, ...],
    tree: PyTreeDef,
    avals: list[ShapedArray],
) -> _Entry:
    out_tree = _Cell()

    def flat(*tracers: Any) -> list[Any]:
        dyn_args, dyn_kwargs = tree_unflatten(tree, tracers)
        it = iter(dyn_args)
        full = [args[i] if i in statics_pos else next(it) for i in range(len(args))]
        merged = {**{k: kwargs[k] for k in names if k in kwargs}, **dyn_kwargs}
        out = fun(*full, **merged)
        out_leaves, out_tree.value = tree_flatten(out)
        return out_leaves

    with transform_origin("jit", fun):
        program = stage_flat(flat, avals)
    return _Entry(program, out_tree.value, name)
