"""Traces, tracers and the interpreter stack that lets transforms nest.

Levels of nested transforms
---------------------------
Every active transform owns a `MainTrace` on a stack; its position is its
*level*. A `Tracer` belongs to exactly one level. When a primitive is bound,
the trace with the highest level among its arguments handles it; arguments of
lower levels are lifted into that trace first (they are constants there).

Take `grad(lambda x: grad(lambda y: x * y)(1.0))(2.0)`. The outer `grad`
pushes level 1 and feeds in `x` at level 1; the inner one pushes level 3 (it
uses two levels, as the outer one does) and feeds in `y` at level 3. In
`x * y` the level-3 trace wins, sees `x` as a constant, and its rule computes
with `x` by binding primitives again, which the level-1 trace then records.
The inner derivative is therefore `x` itself, still a level-1 tracer, and
the outer derivative of it is 1. Without levels the two `grad`s would mix
their perturbations and answer 2.

Level 0 is the evaluation trace: it runs the primitive's implementation.
The *dynamic* trace, set by staging (`make_jaxpr`, `jit`), stands above
level 0 for operations whose arguments are all constants, so that those are
recorded too instead of being computed while tracing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from funcgrad.config import config as _config
from funcgrad.core import _nans
from funcgrad.core._avals import ShapedArray, concrete_aval
from funcgrad.core._primitive import Primitive
from funcgrad.errors import ConcretizationError, TracerLeakError


class MainTrace:
    """One active transform on the stack: its level and its state."""

    __slots__ = ("active", "global_data", "level", "origin", "trace_type")

    def __init__(
        self, level: int, trace_type: type, global_data: Any, origin: str | None = None
    ) -> None:
        self.level = level
        self.trace_type = trace_type
        self.global_data = global_data
        self.active = True
        # Which user-facing transform of which function pushed this level,
        # e.g. "`grad` of `loss`": error messages name it.
        self.origin = origin or f"a {trace_type.__name__}"

    def __repr__(self) -> str:
        return f"MainTrace({self.level}, {self.trace_type.__name__})"


class Trace:
    """How one level interprets primitives. Subclasses define the transform."""

    __slots__ = ("main",)

    def __init__(self, main: MainTrace) -> None:
        self.main = main

    def pure(self, val: Any) -> Tracer:
        """Box a value of a lower level (constant or outer tracer)."""
        raise NotImplementedError(f"{type(self).__name__}.pure")

    lift = pure

    def process_primitive(
        self, primitive: Primitive, tracers: Sequence[Any], params: dict
    ) -> list[Any]:
        raise NotImplementedError(f"{type(self).__name__}.process_primitive")

    def full_raise(self, val: Any) -> Any:
        if not isinstance(val, Tracer):
            return self.pure(val)
        level = self.main.level
        main = val._trace.main
        if main is self.main:
            return val
        if main.level < level:
            return self.lift(val)
        raise TracerLeakError(
            f"A traced value of level {main.level} reached a trace of level "
            f"{level}; a value escaped the transform that created it."
        )


class EvalTrace(Trace):
    """Level 0: run each primitive's implementation on concrete arrays."""

    __slots__ = ()

    def pure(self, val: Any) -> Any:
        return val

    lift = pure

    def process_primitive(
        self, primitive: Primitive, tracers: Sequence[Any], params: dict
    ) -> list[Any]:
        trap = _config.debug_nans or _config.debug_infs
        try:
            if trap:
                # The trap reports the value itself; numpy's warning would
                # only come first.
                with np.errstate(all="ignore"):
                    out = primitive.run_impl(*tracers, **params)
            else:
                out = primitive.run_impl(*tracers, **params)
        except Exception:
            # Prefer the primitive's own message (naming it and the shapes)
            # to numpy's; the check costs nothing when the call succeeds.
            primitive.run_abstract_eval(*map(concrete_aval, tracers), **params)
            raise
        outs = out if primitive.multiple_results else [out]
        if trap:
            _nans.check(primitive, tracers, outs)
        return outs


class TraceState:
    """The interpreter stack and the dynamic (staging) trace."""

    __slots__ = ("dynamic", "origin", "stack")

    def __init__(self) -> None:
        base = MainTrace(0, EvalTrace, None, "evaluation")
        self.stack: list[MainTrace] = [base]
        self.dynamic: MainTrace = base
        self.origin: str | None = None


trace_state = TraceState()


@contextmanager
def transform_origin(transform: str, fun: Any) -> Iterator[None]:
    """Name the levels pushed inside this block after `transform` of `fun`."""
    name = getattr(fun, "__qualname__", None) or getattr(fun, "__name__", "a function")
    previous = trace_state.origin
    trace_state.origin = f"`{transform}` of `{name}`"
    try:
        yield
    finally:
        trace_state.origin = previous


@contextmanager
def new_main(trace_type: type, global_data: Any = None) -> Iterator[MainTrace]:
    """Push a new level for a transform; pop it (and mark it dead) on exit."""
    stack = trace_state.stack
    main = MainTrace(len(stack), trace_type, global_data, trace_state.origin)
    stack.append(main)
    try:
        yield main
    finally:
        stack.pop()
        main.active = False


@contextmanager
def new_dynamic_main(trace_type: type, global_data: Any = None) -> Iterator[MainTrace]:
    """Push a staging level that also records operations on constants."""
    with new_main(trace_type, global_data) as main:
        previous = trace_state.dynamic
        trace_state.dynamic = main
        try:
            yield main
        finally:
            trace_state.dynamic = previous


def find_top_trace(args: Sequence[Any]) -> Trace:
    top = trace_state.dynamic
    for arg in args:
        if isinstance(arg, Tracer):
            main = arg._trace.main
            if not main.active:
                raise TracerLeakError(
                    f"Encountered a traced value of {arg.aval.str_short()} "
                    f"created inside {main.origin}, which has already "
                    f"finished. The value escaped that transform (stored in "
                    f"a global, a closure or an attribute) and was used "
                    f"later. Return it from the function instead."
                )
            if main.level > top.level:
                top = main
    return top.trace_type(top)


def bind(primitive: Primitive, args: Sequence[Any], params: dict) -> Any:
    trace = find_top_trace(args)
    tracers = [trace.full_raise(a) for a in args]
    outs = trace.process_primitive(primitive, tracers, params)
    outs = [full_lower(o) for o in outs]
    return outs if primitive.multiple_results else outs[0]


def full_lower(val: Any) -> Any:
    if isinstance(val, Tracer):
        return val.full_lower()
    return val


def get_aval(x: Any) -> ShapedArray:
    if isinstance(x, Tracer):
        return x.aval
    return concrete_aval(x)


def no_transform_active() -> bool:
    """True when only level 0 is active: the cheap path of the front-end."""
    return trace_state.dynamic.level == 0 and len(trace_state.stack) == 1


class Tracer:
    """A stand-in for an array inside a transform.

    Arithmetic operators and array methods are installed by
    `funcgrad.numpy`, which owns their numpy semantics.

    `_square_of` is a note a front-end may leave on a value it computed as
    the square root of a value `s >= 0` it also holds (the 2-norm is
    `sqrt(sum(x * x))`): squaring the tracer then returns `s` itself, so
    `norm(x) ** 2` is differentiated as the sum of squares it equals, not
    through the root's infinite derivative at 0. Primitives and transforms
    never read it; unset, it reads as None (see `__getattr__`).
    """

    __slots__ = ("__weakref__", "_square_of", "_trace")
    __array_priority__ = 1000

    _trace: Trace
    _square_of: Any

    @property
    def aval(self) -> ShapedArray:
        raise NotImplementedError(f"{type(self).__name__}.aval")

    def full_lower(self) -> Any:
        return self

    def concrete_value(self, why: str) -> Any:
        """The concrete value behind this tracer, or a `ConcretizationError`."""
        raise ConcretizationError(
            f"{why} needs a concrete value, but this is an abstract traced "
            f"value ({self.aval.str_short()}) inside {self._trace.main.origin}: "
            f"its number is not known while the function is being traced. "
            f"Mark the argument static (`static_argnums`), compute it with "
            f"numpy outside the function, or select with "
            f"`funcgrad.numpy.where` or branch with `funcgrad.lax.cond` (loop "
            f"with `funcgrad.lax.scan`, `fori_loop` or `while_loop`) instead "
            f"of a Python `if` or `while`."
        )

    @property
    def shape(self) -> tuple[int, ...]:
        return self.aval.shape

    @property
    def dtype(self) -> np.dtype:
        return self.aval.dtype

    @property
    def ndim(self) -> int:
        return self.aval.ndim

    @property
    def size(self) -> int:
        return self.aval.size

    def __len__(self) -> int:
        if not self.aval.shape:
            raise TypeError("len() of unsized object (a 0-d traced array)")
        return self.aval.shape[0]

    def __bool__(self) -> bool:
        return bool(self.concrete_value("`bool()` of a traced value"))

    def __int__(self) -> int:
        return int(self.concrete_value("`int()` of a traced value"))

    def __index__(self) -> int:
        return int(self.concrete_value("Using a traced value as an index"))

    def __float__(self) -> float:
        return float(self.lossy_concrete_value("`float()` of a traced value"))

    def __complex__(self) -> complex:
        return complex(self.lossy_concrete_value("`complex()` of a traced value"))

    def lossy_concrete_value(self, why: str) -> Any:
        """The concrete value, for a conversion that would drop a derivative
        (`float()`, `.item()`); transforms that carry derivatives refuse."""
        return self.concrete_value(why)

    def __getattr__(self, name: str) -> Any:
        if name == "_square_of":
            return None  # the slot was never set: no square is known
        if name.startswith("__"):
            raise AttributeError(name)
        raise AttributeError(
            f"A traced array has no attribute or method `{name}` (yet): "
            f"funcgrad supports numpy's array methods that `funcgrad.numpy` "
            f"implements. Use the `funcgrad.numpy` function if it exists."
        )

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise ConcretizationError(
            f"`numpy.asarray` (or another numpy function) was called on a "
            f"traced value ({self.aval.str_short()}) inside "
            f"{self._trace.main.origin}. numpy cannot see "
            f"through funcgrad's tracers, so the result would lose its "
            f"derivative or its place in the program. Use `funcgrad.numpy` "
            f"functions instead, or call numpy outside the transformed "
            f"function. (Indexing a numpy array with a traced index, "
            f"`table[i]`, lands here too: write `funcgrad.numpy.take(table, "
            f"i, axis=...)` or `funcgrad.numpy.at(table)[i].get()`.)"
        )

    def __iter__(self) -> Iterator[Any]:
        if not self.aval.shape:
            raise TypeError("iteration over a 0-d traced array")
        return (self[i] for i in range(self.aval.shape[0]))

    def __hash__(self) -> int:
        raise TypeError(
            "A traced array is unhashable, like a numpy array. Use a tuple "
            "or a Python number as a dictionary key instead."
        )

    def __repr__(self) -> str:
        return f"Traced<{self.aval.str_short()}>with<{type(self._trace).__name__}>"
