"""A compiled program: the steps of a fused plan, run in order.

`compile_program` plans a closed Jaxpr once; calling the result runs each
group through its kernel and every other equation through its primitive's
implementation, on concrete numpy arrays.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from funcgrad.backend._fusion import Group, is_reduction, plan
from funcgrad.backend._kernels import (
    aligned_shape,
    call_kernel,
    call_whole,
    get_kernel,
    kernel_source,
)
from funcgrad.backend._loops import (
    Form,
    ScanForm,
    control_form,
    nested_jaxprs,
    python_loop,
)
from funcgrad.backend._registry import (
    accumulator_dtype,
    reduction_lowerings,
    threaded_primitives,
    transcendental,
)
from funcgrad.backend._whole import loop_source, whole_source
from funcgrad.config import config
from funcgrad.core import ClosedJaxpr, Jaxpr, JaxprEqn, Literal, Var

logger = logging.getLogger("funcgrad.backend")


class CompiledProgram:
    """A closed Jaxpr, planned into kernels and single equations."""

    def __init__(self, program: ClosedJaxpr) -> None:
        self.program = program
        jaxpr = program.jaxpr
        self.steps = plan(
            jaxpr,
            config.min_fusion_size,
            _vectorized_elsewhere(),
            config.parallel_min_size,
        )
        self.kernels: dict[int, Any] = {}  # loaded on first use
        self.dead_after = _last_uses(jaxpr, self.steps)
        # numba's worker threads and a threaded BLAS (OpenBLAS keeps its
        # threads spinning after each call) oversubscribe the cores when
        # they take turns: a batch-1024 MLP step went from 11 ms to 20 ms.
        # Programs that call BLAS or LAPACK keep their kernels serial.
        threaded = _calls_threaded(jaxpr)
        self.runners = [
            (_runner(s, self.kernels, allow_parallel=not threaded), dead)
            for s, dead in zip(self.steps, self.dead_after)
        ]
        unlowered = sorted(
            {s.primitive.name for s in self.steps if type(s) is JaxprEqn}
        )
        groups = [s for s in self.steps if type(s) is Group]
        self.whole = _whole_kernel(jaxpr)
        self._whole_consts: list[Any] | None = None
        logger.debug(
            "planned %d equations into %d fused kernels and %d single steps (%s)",
            len(jaxpr.eqns),
            len(groups),
            len(self.steps) - len(groups),
            ", ".join(unlowered),
        )

    @property
    def num_kernels(self) -> int:
        """Fused kernels of the step-by-step plan."""
        return sum(type(s) is Group for s in self.steps)

    def __call__(self, *args: Any) -> list[Any]:
        if self.whole is not None:
            outs = self._run_whole(args)
            if outs is not None:
                return outs
        jaxpr = self.program.jaxpr
        env: dict[Var, Any] = dict(zip(jaxpr.constvars, self.program.consts))
        env.update(zip(jaxpr.invars, args))
        for run, dead in self.runners:
            run(env)
            for v in dead:  # free intermediates as soon as nothing reads them
                del env[v]
        return [v.val if type(v) is Literal else env[v] for v in jaxpr.outvars]

    def _run_whole(self, args: Sequence[Any]) -> list[Any] | None:
        jaxpr = self.program.jaxpr
        # 0-d values are numba scalars there; the constants are prepared once.
        if self._whole_consts is None:
            self._whole_consts = _as_scalars(self.program.consts, jaxpr.constvars)
        prepared = self._whole_consts + _as_scalars(args, jaxpr.invars)
        try:
            outs = call_whole(self.whole, prepared, len(jaxpr.eqns))
        except Exception as err:  # a program numba cannot type: run the plan
            logger.debug("whole-program compile failed, running step by step: %s", err)
            self.whole = None
            return None
        return [np.asarray(o, dtype=v.aval.dtype) for o, v in zip(outs, jaxpr.outvars)]


class _GroupStep:
    """One fused group, with everything that does not depend on the values
    worked out once: how each input is passed, how each output is made."""

    def __init__(
        self, group: Group, kernels: dict[int, Any], allow_parallel: bool = True
    ) -> None:
        self.group = group
        self.allow_parallel = allow_parallel
        self.kernels = kernels
        rank = len(group.shape)
        # (var, dtype of a 0-d input or None, the shape to view an array
        # input as, or None when it is passed as it is)
        self.inputs = [
            (
                v,
                v.aval.dtype if v.aval.shape == () else None,
                aligned_shape(v.aval.shape, group.shape)
                if 0 < len(v.aval.shape) < rank
                else None,
            )
            for v in group.inputs
        ]
        reduced = {e.outvars[0]: e for e in group.eqns if is_reduction(e)}
        # (var, shape allocated, dtype allocated, identity to fill with or
        # None, the shape the value has afterwards or None, its dtype)
        self.outputs = []
        for v in group.outputs:
            eqn = reduced.get(v)
            dtype = v.aval.dtype
            if eqn is None:
                self.outputs.append((v, group.shape, dtype, None, None, dtype))
                continue
            axes = eqn.params["axes"]
            shape = tuple(1 if k in axes else n for k, n in enumerate(group.shape))
            init, _ = reduction_lowerings[eqn.primitive]
            acc = accumulator_dtype(eqn.primitive, dtype)
            self.outputs.append((v, shape, acc, init(dtype), v.aval.shape, dtype))

    def __call__(self, env: dict[Var, Any]) -> None:
        args: list[Any] = list(self.group.shape)
        for v, scalar, aligned in self.inputs:
            x = env[v]
            if scalar is not None:
                args.append(np.asarray(x, dtype=scalar)[()])
                continue
            if type(x) is not np.ndarray:
                x = np.asarray(x)
            args.append(x if aligned is None else x.reshape(aligned))
        outs = []
        for _, shape, dtype, fill, _, _ in self.outputs:
            out = np.empty(shape, dtype)
            if fill is not None:
                out.fill(fill)
            outs.append(out)
        kernel = self.kernels.get(id(self.group))
        if kernel is None:
            kernel = _kernel_for(self.group, self.allow_parallel)
            self.kernels[id(self.group)] = kernel
        call_kernel(kernel, self.group, args + outs)
        for (v, _, acc, _, final, dtype), out in zip(self.outputs, outs):
            if final is not None:
                out = out.reshape(final)
                if acc != dtype:
                    out = out.astype(dtype)
            env[v] = out


def _runner(step: Any, kernels: dict[int, Any], allow_parallel: bool) -> Any:
    if type(step) is Group:
        return _GroupStep(step, kernels, allow_parallel)
    form = control_form(step)
    return _EqnStep(step) if form is None else _LoopStep(step, form)


class _EqnStep:
    """One equation run by its primitive's implementation."""

    def __init__(self, eqn: JaxprEqn) -> None:
        self.eqn = eqn
        # run_impl raises the missing-rule error where there is no impl
        self.impl = eqn.primitive.impl or eqn.primitive.run_impl
        self.params = eqn.params
        self.invars = eqn.invars
        self.outvars = eqn.outvars
        self.multiple = eqn.primitive.multiple_results

    def __call__(self, env: dict[Var, Any]) -> None:
        vals = [x.val if type(x) is Literal else env[x] for x in self.invars]
        try:
            out = self.impl(*vals, **self.params)
        except Exception as error:
            source = self.eqn.source
            if source is not None and hasattr(error, "add_note"):
                error.add_note(
                    f"(while running `{self.eqn.primitive.name}` of a compiled "
                    f"program, made at {source})"
                )
            raise
        if self.multiple:
            env.update(zip(self.outvars, out))
        else:
            env[self.outvars[0]] = out


class _LoopStep:
    """A `scan`, `while` or `cond` equation (see `funcgrad.backend._loops`):
    one numba function with the loop inside where its bodies are small
    enough to be compiled whole, else a Python loop over its bodies, each
    compiled as a program of its own."""

    def __init__(self, eqn: JaxprEqn, form: Form) -> None:
        self.eqn = eqn
        self.form = form
        self.kernel, self.params = _loop_kernel(eqn, form)
        # a scan's kernel takes its length, so that one serves every length
        self.length = [form.length] if type(form) is ScanForm else []
        self.num_eqns = sum(len(j.eqns) for j in form.jaxprs)  # for the logs
        self.python: Any = None  # built on first use

    def __call__(self, env: dict[Var, Any]) -> None:
        outs = None
        if self.kernel is not None:
            outs = self._run_kernel(env)
        if outs is None:
            if self.python is None:
                self.python = python_loop(self.form, _compile_body)
            vals = [x.val if type(x) is Literal else env[x] for x in self.eqn.invars]
            outs = self.python(*vals)
        env.update(zip(self.eqn.outvars, outs))

    def _run_kernel(self, env: dict[Var, Any]) -> list[Any] | None:
        args = self.length + _as_scalars([env[v] for v in self.params], self.params)
        try:
            outs = call_whole(self.kernel, args, self.num_eqns)
        except Exception as err:  # numba cannot type a body: loop in Python
            logger.debug("loop kernel failed, looping in Python: %s", err)
            self.kernel = None
            return None
        return [
            np.asarray(o, dtype=v.aval.dtype) for o, v in zip(outs, self.eqn.outvars)
        ]


def _compile_body(body: Jaxpr) -> CompiledProgram:
    return CompiledProgram(ClosedJaxpr(body, []))


def _loop_kernel(eqn: JaxprEqn, form: Form) -> tuple[Any, list[Var]]:
    """The numba function running `eqn`'s loop, and the variables it takes,
    if its bodies are small enough to compile whole; (None, []) otherwise."""
    limit = config.whole_program_max_size
    if not limit or sum(program_size(j) for j in form.jaxprs) > limit:
        return None, []
    written = loop_source(eqn, form)
    if written is None:
        return None, []
    source, params = written
    return get_kernel(source), params


def program_size(jaxpr: Jaxpr) -> int:
    """Elements in all the values a program computes: a loop's stacked
    results, and the values of its bodies' steps, counted once."""
    total = 0
    for e in jaxpr.eqns:
        total += sum(int(np.prod(v.aval.shape, dtype=np.int64)) for v in e.outvars)
        total += sum(program_size(j) for j in nested_jaxprs(e))
    return total


def _calls_threaded(jaxpr: Jaxpr) -> bool:
    """Whether a program, or a body of one of its loops, calls BLAS or LAPACK."""
    return any(
        e.primitive in threaded_primitives
        or any(_calls_threaded(j) for j in nested_jaxprs(e))
        for e in jaxpr.eqns
    )


def _as_scalars(values: Sequence[Any], params: Sequence[Var]) -> list[Any]:
    return [
        np.asarray(x, dtype=v.aval.dtype)[()] if v.aval.shape == () else x
        for x, v in zip(values, params)
    ]


def _last_uses(jaxpr: Any, steps: list[Any]) -> list[list[Var]]:
    """For each step, the values no later step reads (and that are not
    outputs): the executor drops them after the step, so peak memory follows
    the live values, not all of them."""
    keep = {v for v in jaxpr.outvars if type(v) is Var}
    seen: set[Var] = set(keep)
    dead: list[list[Var]] = []
    for step in reversed(steps):
        eqns = step.eqns if type(step) is Group else [step]
        defined = [v for e in eqns for v in e.outvars]
        reads = [x for e in eqns for x in e.invars if type(x) is Var]
        produced = set(step.outputs) if type(step) is Group else set(defined)
        # values this step reads for the last time, and values it makes
        # that nobody reads
        here = [v for v in dict.fromkeys(reads) if v not in seen and v not in defined]
        here += [v for v in produced if v not in seen]
        seen.update(reads)
        dead.append(here)
    dead.reverse()
    return dead


def _vectorized_elsewhere() -> frozenset:
    """The primitives to leave to numpy in step-by-step plans."""
    import numba

    if config.fuse_transcendental or numba.config.USING_SVML:
        return frozenset()
    return frozenset(transcendental)


def _whole_kernel(jaxpr: Any) -> Any:
    """One numba function for the whole program, if it is small and every
    step can be compiled; None otherwise."""
    limit = config.whole_program_max_size
    if not limit or not jaxpr.eqns or program_size(jaxpr) > limit:
        return None
    source = whole_source(jaxpr, plan(jaxpr, 1))
    return None if source is None else get_kernel(source)


def _kernel_for(group: Group, allow_parallel: bool = True) -> Any:
    size = int(np.prod(group.shape, dtype=np.int64))
    parallel = (
        allow_parallel
        and size >= config.parallel_min_size
        and not any(is_reduction(e) for e in group.eqns)
    )
    return get_kernel(kernel_source(group, parallel), parallel)


def compile_program(program: ClosedJaxpr) -> CompiledProgram:
    return CompiledProgram(program)


__all__: Sequence[str] = ["CompiledProgram", "compile_program"]
