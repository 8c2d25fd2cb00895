"""Loops and branches in compiled programs: the forms of `scan`, `while`
and `cond`, and the two ways a compiled program runs them.

A control primitive carries its bodies as Jaxprs in its parameters and
registers, in `control_lowerings`, how one of its equations reads as one
of the forms below. A compiled program then runs such an equation

- as one numba function with the loop inside (`for i in range(n)`,
  `while True`, `if`), around the bodies' statements written by the
  whole-program writer (`funcgrad.backend._whole`), when every body is
  small enough to be compiled whole and numba types it. A scan's length
  is an argument of that function, so scans of 10 and of 1,000 steps
  share one kernel, compiled once;
- otherwise as a Python loop that calls each body compiled as a program of
  its own (fused kernels, BLAS) and writes each step's `ys` into arrays
  allocated once.

Either way, the bodies are compiled once, however many steps run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from funcgrad.backend._registry import control_lowerings, scalar_type
from funcgrad.core import Jaxpr, JaxprEqn, ShapedArray, split_list


@dataclass(frozen=True)
class ScanForm:
    """`body(consts, carries, a row of each xs) -> (carries, a row of each
    ys)`, run `length` times over the rows of the xs (backwards with
    `reverse`); the equation's operands are the consts, the initial
    carries and the xs; its results the final carries and the stacked ys."""

    body: Jaxpr
    num_consts: int
    num_carry: int
    length: int
    reverse: bool

    @property
    def jaxprs(self) -> tuple[Jaxpr, ...]:
        return (self.body,)


@dataclass(frozen=True)
class WhileForm:
    """`while cond(cond consts, carries): carries = body(body consts,
    carries)`; the operands are the cond's consts, the body's consts and
    the initial carries; the results the final carries."""

    cond: Jaxpr
    body: Jaxpr
    cond_nconsts: int
    body_nconsts: int

    @property
    def jaxprs(self) -> tuple[Jaxpr, ...]:
        return (self.cond, self.body)


@dataclass(frozen=True)
class SwitchForm:
    """`branches[index](operands)`, the first operand being the integer
    index, clamped to the branches."""

    branches: tuple[Jaxpr, ...]

    @property
    def jaxprs(self) -> tuple[Jaxpr, ...]:
        return self.branches


Form = ScanForm | WhileForm | SwitchForm


def control_form(eqn: JaxprEqn) -> Form | None:
    """The loop form of a control-flow equation, or None for the others."""
    rule = control_lowerings.get(eqn.primitive)
    return None if rule is None else rule(eqn)


def nested_jaxprs(eqn: JaxprEqn) -> tuple[Jaxpr, ...]:
    form = control_form(eqn)
    return () if form is None else form.jaxprs


# --- one numba function with the loop inside ---------------------------------


class Writer(Protocol):
    """What the loop statements need of the whole-program writer."""

    def fresh(self, stem: str) -> str:
        """A name not used anywhere else in the function."""
        ...

    def body(
        self, jaxpr: Jaxpr, in_names: list[str], into: dict[int, str] | None = None
    ) -> tuple[list[str], list[str], set[int]] | None:
        """The statements of `jaxpr` (indented one level) reading its inputs
        from `in_names`, the names or literals of its outputs, and the
        positions of the outputs it wrote into the arrays `into` names by
        position (views it may fill); None if it cannot be compiled."""
        ...


def loop_statements(
    form: Form,
    outs: list[str],
    operands: list[str],
    writer: Writer,
    length: str | None = None,
) -> list[str] | None:
    """Statements (unindented) that assign `outs` from `operands` by running
    `form`'s loop; a scan runs `length` steps (source text, by default its
    own length written in). None if a body cannot be compiled."""
    if isinstance(form, ScanForm):
        return _scan_statements(form, outs, operands, writer, length)
    if isinstance(form, WhileForm):
        return _while_statements(form, outs, operands, writer)
    return _switch_statements(form, outs, operands, writer)


def _assign(
    names: list[str], values: list[str], avals: list[ShapedArray], init: bool = False
) -> str:
    """One tuple assignment, so that carries that trade places do not read
    a value already overwritten. Scalars keep their dtype (numba would
    widen a float32 or int32 carry that meets a wider constant); initial
    arrays are made contiguous, as the bodies' results are, so that numba
    types the carry as contiguous (a broadcast zero is not)."""
    typed = [
        (f"np.ascontiguousarray({v})" if init else v)
        if a.shape
        else f"{scalar_type(a.dtype)}({v})"
        for v, a in zip(values, avals)
    ]
    return f"{', '.join(names)}, = {', '.join(typed)},"


def _scan_statements(
    form: ScanForm,
    outs: list[str],
    operands: list[str],
    writer: Writer,
    length: str | None,
) -> list[str] | None:
    n = str(form.length) if length is None else length
    body = form.body
    consts, init, xs = split_list(operands, form.num_consts, form.num_carry)
    carry_avals = [v.aval for v in body.outvars[: form.num_carry]]
    y_avals = [v.aval for v in body.outvars[form.num_carry :]]
    loop = writer.fresh("l")
    index = f"{loop}_i"
    carry = [f"{loop}_c{j}" for j in range(len(init))]
    rows = [f"{loop}_x{j}" for j in range(len(xs))]
    ys = outs[form.num_carry :]
    into = {form.num_carry + j: f"{y}[{index}]" for j, y in enumerate(ys)}
    written = writer.body(body, consts + carry + rows, into)
    if written is None:
        return None
    body_lines, results, stored = written
    lines = [_assign(carry, init, carry_avals, init=True)] if carry else []
    for y, aval in zip(ys, y_avals):
        shape = ", ".join([n, *map(str, aval.shape)])
        lines.append(f"{y} = np.empty(({shape},), {scalar_type(aval.dtype)})")
    steps = f"range({n} - 1, -1, -1)" if form.reverse else f"range({n})"
    lines.append(f"for {index} in {steps}:")
    lines += [f"    {row} = {x}[{index}]" for row, x in zip(rows, xs)]
    lines += body_lines
    for k, (y, aval) in enumerate(zip(ys, y_avals), form.num_carry):
        if k not in stored:
            lines += _store_row(y, index, results[k], aval.shape, f"{loop}_j")
    if carry:
        lines.append("    " + _assign(carry, results[: form.num_carry], carry_avals))
    if lines[-1].startswith("for "):
        lines.append("    pass")
    # a carry the body also wrote into a row of ys is a view of it: the
    # results must not share memory
    in_ys = {results[k] for k in stored}
    for o, c, r in zip(outs, carry, results):
        lines.append(f"{o} = {c}.copy()" if r in in_ys else f"{o} = {c}")
    return lines


def _store_row(
    ys: str, index: str, value: str, shape: tuple[int, ...], stem: str
) -> list[str]:
    """`ys[index] = value` as a loop nest over the row (indented one level):
    numba's assignment of an array to a slice costs seconds of compile time
    on its first use in a process (benchmarks: w6_rnn)."""
    if not shape:
        return [f"    {ys}[{index}] = {value}"]
    lines, indent = [], "    "
    for k, size in enumerate(shape):
        lines.append(f"{indent}for {stem}{k} in range({size}):")
        indent += "    "
    at = ", ".join(f"{stem}{k}" for k in range(len(shape)))
    lines.append(f"{indent}{ys}[{index}, {at}] = {value}[{at}]")
    return lines


def _while_statements(
    form: WhileForm, outs: list[str], operands: list[str], writer: Writer
) -> list[str] | None:
    cond_consts, body_consts, init = split_list(
        operands, form.cond_nconsts, form.body_nconsts
    )
    avals = [v.aval for v in form.body.outvars]
    loop = writer.fresh("l")
    carry = [f"{loop}_c{j}" for j in range(len(init))]
    test = writer.body(form.cond, cond_consts + carry)
    step = writer.body(form.body, body_consts + carry)
    if test is None or step is None:
        return None
    (test_lines, (pred,), _), (step_lines, results, _) = test, step
    lines = [_assign(carry, init, avals, init=True)] if carry else []
    lines.append("while True:")
    lines += test_lines
    lines += [f"    if not {pred}:", "        break"]
    lines += step_lines
    if carry:
        lines.append("    " + _assign(carry, results, avals))
    lines += [f"{o} = {c}" for o, c in zip(outs, carry)]
    return lines


def _switch_statements(
    form: SwitchForm, outs: list[str], operands: list[str], writer: Writer
) -> list[str] | None:
    index, ops = operands[0], operands[1:]
    avals = [v.aval for v in form.branches[0].outvars]
    which = f"{writer.fresh('l')}_k"
    last = len(form.branches) - 1
    lines = [f"{which} = min(max(np.int64({index}), 0), {last})"]
    for k, branch in enumerate(form.branches):
        written = writer.body(branch, ops)
        if written is None:
            return None
        branch_lines, results, _ = written
        if k == 0:
            lines.append(f"if {which} == 0:" if last else "if True:")
        else:
            lines.append(f"elif {which} == {k}:" if k < last else "else:")
        lines += branch_lines
        if outs:
            lines.append("    " + _assign(outs, results, avals))
        elif not branch_lines:
            lines.append("    pass")
    return lines


# --- a Python loop over compiled bodies --------------------------------------

Compile = Callable[[Jaxpr], Callable[..., list[Any]]]


def python_loop(form: Form, compile_body: Compile) -> Callable[..., list[Any]]:
    """A function of the equation's operands that runs `form` in Python,
    calling its bodies compiled by `compile_body` (each compiled once,
    on first use)."""
    if isinstance(form, ScanForm):
        return _ScanLoop(form, compile_body)
    if isinstance(form, WhileForm):
        return _WhileLoop(form, compile_body)
    return _SwitchLoop(form, compile_body)


class _ScanLoop:
    def __init__(self, form: ScanForm, compile_body: Compile) -> None:
        self.form = form
        self.body = compile_body(form.body)
        self.y_avals = [v.aval for v in form.body.outvars[form.num_carry :]]

    def __call__(self, *args: Any) -> list[Any]:
        form = self.form
        consts, carry, xs = split_list(args, form.num_consts, form.num_carry)
        ys = [np.empty((form.length, *a.shape), a.dtype) for a in self.y_avals]
        xs = [np.asarray(x) for x in xs]
        n = form.length
        for i in range(n - 1, -1, -1) if form.reverse else range(n):
            outs = self.body(*consts, *carry, *[x[i] for x in xs])
            carry = outs[: form.num_carry]
            for y, out in zip(ys, outs[form.num_carry :]):
                y[i] = out
        return [np.asarray(c) for c in carry] + ys


class _WhileLoop:
    def __init__(self, form: WhileForm, compile_body: Compile) -> None:
        self.form = form
        self.cond = compile_body(form.cond)
        self.body = compile_body(form.body)

    def __call__(self, *args: Any) -> list[Any]:
        form = self.form
        cond_consts, body_consts, carry = split_list(
            args, form.cond_nconsts, form.body_nconsts
        )
        while bool(self.cond(*cond_consts, *carry)[0]):
            carry = self.body(*body_consts, *carry)
        return [np.asarray(c) for c in carry]


class _SwitchLoop:
    def __init__(self, form: SwitchForm, compile_body: Compile) -> None:
        self.form = form
        self.compile_body = compile_body
        self.branches: dict[int, Callable[..., list[Any]]] = {}

    def __call__(self, index: Any, *operands: Any) -> list[Any]:
        k = min(max(int(index), 0), len(self.form.branches) - 1)
        branch = self.branches.get(k)
        if branch is None:
            branch = self.branches[k] = self.compile_body(self.form.branches[k])
        return [np.asarray(o) for o in branch(*operands)]
