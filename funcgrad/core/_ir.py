"""The IR: typed variables, literals, equations and Jaxprs.

A `Jaxpr` is a straight-line program: input variables, equations, each of
which applies one primitive with static parameters to variables or literals
and defines new variables, and output atoms. A `ClosedJaxpr` pairs it with
the values of its constant variables. This module prints programs, checks
their types, evaluates them and removes dead equations.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from funcgrad.core._avals import ShapedArray
from funcgrad.core._primitive import Primitive
from funcgrad.core._source import SourceInfo, state
from funcgrad.errors import FuncgradError


class Var:
    """A variable of a Jaxpr, typed by its aval. Compared by identity."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray) -> None:
        self.aval = aval

    def __repr__(self) -> str:
        return f"Var({self.aval.str_short()})"


class Literal:
    """A scalar constant written inline in an equation."""

    __slots__ = ("aval", "val")

    def __init__(self, val: Any, aval: ShapedArray) -> None:
        self.val = val
        self.aval = aval

    def __repr__(self) -> str:
        return f"Literal({self.val!r})"


Atom = Var | Literal


class JaxprEqn:
    """`outvars = primitive[params] invars`, recorded at `source`."""

    __slots__ = ("invars", "outvars", "params", "primitive", "source")

    def __init__(
        self,
        primitive: Primitive,
        invars: Sequence[Atom],
        params: dict[str, Any],
        outvars: Sequence[Var],
        source: SourceInfo | None = None,
    ) -> None:
        self.primitive = primitive
        self.invars = list(invars)
        self.params = params
        self.outvars = list(outvars)
        self.source = source

    def __repr__(self) -> str:
        return f"JaxprEqn({self.primitive.name}, {len(self.invars)} in)"


class Jaxpr:
    """A typed straight-line program over constant and input variables."""

    __slots__ = ("constvars", "eqns", "invars", "outvars")

    def __init__(
        self,
        constvars: Sequence[Var],
        invars: Sequence[Var],
        eqns: Sequence[JaxprEqn],
        outvars: Sequence[Atom],
    ) -> None:
        self.constvars = list(constvars)
        self.invars = list(invars)
        self.eqns = list(eqns)
        self.outvars = list(outvars)

    def __str__(self) -> str:
        return pp_jaxpr(self)

    __repr__ = __str__

    def pretty(self, source: bool = False) -> str:
        """The program as text; with `source`, each equation ends with the
        user's line that made it (`# file.py:12 (f)`, `[backward]` for the
        equations of a backward pass)."""
        return pp_jaxpr(self, source=source)

    # Pictures are a view kept out of the core (`funcgrad/_graph.py`, which
    # reads only this module and the errors), so they are imported when used.
    def to_dot(self) -> str:
        """The program as Graphviz dot text; see `funcgrad._graph.to_dot`."""
        from funcgrad._graph import to_dot

        return to_dot(self)

    def to_mermaid(self) -> str:
        """The program as a Mermaid flowchart; see `funcgrad._graph`."""
        from funcgrad._graph import to_mermaid

        return to_mermaid(self)

    def render(self, path: str | os.PathLike[str], format: str = "svg") -> str:
        """Draw the program to `path` with Graphviz's `dot`; see
        `funcgrad._graph.render`."""
        from funcgrad._graph import render

        return render(self, path, format)


class ClosedJaxpr:
    """A Jaxpr together with the values bound to its constant variables."""

    __slots__ = ("consts", "jaxpr")

    def __init__(self, jaxpr: Jaxpr, consts: Sequence[Any]) -> None:
        assert len(jaxpr.constvars) == len(consts), "one value per constvar"
        self.jaxpr = jaxpr
        self.consts = list(consts)

    @property
    def eqns(self) -> list[JaxprEqn]:
        return self.jaxpr.eqns

    @property
    def in_avals(self) -> list[ShapedArray]:
        return [v.aval for v in self.jaxpr.invars]

    @property
    def out_avals(self) -> list[ShapedArray]:
        return [v.aval for v in self.jaxpr.outvars]

    def __call__(self, *args: Any) -> list[Any]:
        return eval_jaxpr(self.jaxpr, self.consts, *args)

    def __str__(self) -> str:
        return pp_jaxpr(self.jaxpr)

    __repr__ = __str__

    def pretty(self, source: bool = False) -> str:
        """The program as text; see `Jaxpr.pretty`."""
        return pp_jaxpr(self.jaxpr, source=source)

    to_dot = Jaxpr.to_dot
    to_mermaid = Jaxpr.to_mermaid
    render = Jaxpr.render


def split_list(seq: Sequence[Any], *sizes: int) -> list[list[Any]]:
    """`seq` cut into pieces of the given sizes, and the rest: how the
    operands of a loop or branch equation divide into their roles."""
    out, start = [], 0
    for n in sizes:
        out.append(list(seq[start : start + n]))
        start += n
    out.append(list(seq[start:]))
    return out


# --- evaluation ---------------------------------------------------------------


def eval_jaxpr(jaxpr: Jaxpr, consts: Sequence[Any], *args: Any) -> list[Any]:
    """Run a Jaxpr by binding its primitives, so it can itself be traced."""
    env: dict[Var, Any] = {}

    def read(atom: Atom) -> Any:
        return atom.val if type(atom) is Literal else env[atom]

    if len(args) != len(jaxpr.invars):
        raise FuncgradError(
            f"The program takes {len(jaxpr.invars)} inputs but was called "
            f"with {len(args)}."
        )
    env.update(zip(jaxpr.constvars, consts))
    env.update(zip(jaxpr.invars, args))
    # What this records or raises is attributed to the equation replayed.
    previous = state.override
    try:
        for eqn in jaxpr.eqns:
            state.override = eqn.source or previous
            outs = eqn.primitive.bind(*map(read, eqn.invars), **eqn.params)
            if not eqn.primitive.multiple_results:
                outs = [outs]
            env.update(zip(eqn.outvars, outs))
    finally:
        state.override = previous
    return [read(v) for v in jaxpr.outvars]


# --- dead-code elimination ----------------------------------------------------


def has_effects(eqn: JaxprEqn) -> bool:
    """Whether the equation, or a program it carries (a loop's body, a
    branch), has an effect such as a print."""
    if eqn.primitive.effectful:
        return True
    for param in eqn.params.values():
        bodies = param if isinstance(param, tuple) else (param,)
        for body in bodies:
            if isinstance(body, Jaxpr) and any(has_effects(e) for e in body.eqns):
                return True
    return False


def dce_jaxpr(jaxpr: Jaxpr, consts: Sequence[Any]) -> tuple[Jaxpr, list[Any]]:
    """Drop equations whose outputs nothing uses, and constants with them."""
    live: set[Var] = {v for v in jaxpr.outvars if type(v) is Var}
    kept: list[JaxprEqn] = []
    for eqn in reversed(jaxpr.eqns):
        if any(v in live for v in eqn.outvars) or has_effects(eqn):
            kept.append(eqn)
            live.update(v for v in eqn.invars if type(v) is Var)
    kept.reverse()
    pairs = [(v, c) for v, c in zip(jaxpr.constvars, consts) if v in live]
    constvars = [v for v, _ in pairs]
    new = Jaxpr(constvars, jaxpr.invars, kept, jaxpr.outvars)
    return new, [c for _, c in pairs]


# --- type checking ------------------------------------------------------------


class JaxprTypeError(FuncgradError):
    """A program built by a transform is not well typed (a funcgrad bug)."""


def typecheck_jaxpr(jaxpr: Jaxpr) -> None:
    """Check that every equation's outputs are what its inputs imply."""
    env: set[Var] = set()

    def define(v: Var) -> None:
        if v in env:
            raise JaxprTypeError(f"Variable {v} is defined twice.")
        env.add(v)

    def check_atom(atom: Atom, where: str) -> ShapedArray:
        if type(atom) is Literal:
            if np.shape(atom.val) != atom.aval.shape:
                raise JaxprTypeError(f"Literal {atom.val!r} in {where} mistyped.")
        elif atom not in env:
            raise JaxprTypeError(f"Variable {atom} used in {where} is undefined.")
        return atom.aval

    for v in itertools.chain(jaxpr.constvars, jaxpr.invars):
        define(v)
    for eqn in jaxpr.eqns:
        where = f"equation `{eqn.primitive.name}`"
        in_avals = [check_atom(x, where) for x in eqn.invars]
        out_avals = eqn.primitive.run_abstract_eval(*in_avals, **eqn.params)
        if not eqn.primitive.multiple_results:
            out_avals = [out_avals]
        declared = [v.aval for v in eqn.outvars]
        if list(out_avals) != declared:
            raise JaxprTypeError(
                f"In {where}, the inputs imply outputs "
                f"{[a.str_short() for a in out_avals]} but the program "
                f"declares {[a.str_short() for a in declared]}."
            )
        for v in eqn.outvars:
            define(v)
    for v in jaxpr.outvars:
        check_atom(v, "the outputs")


# --- printing -----------------------------------------------------------------


def _var_names() -> Any:
    for n in itertools.count():
        letters = ""
        n += 1
        while n:
            n, r = divmod(n - 1, 26)
            letters = chr(ord("a") + r) + letters
        yield letters


class _Namer:
    def __init__(self) -> None:
        self.names: dict[Var, str] = {}
        self.fresh = _var_names()

    def define(self, v: Var) -> str:
        name = self.names[v] = next(self.fresh)
        return f"{name}:{v.aval.str_short()}"

    def use(self, atom: Atom) -> str:
        if type(atom) is Literal:
            return _pp_literal(atom)
        return self.names.get(atom, "?")


def _pp_literal(lit: Literal) -> str:
    val = np.asarray(lit.val)
    if val.dtype == bool:
        text = "True" if val else "False"
    elif val.dtype.kind == "f":
        text = repr(float(val))
    elif val.dtype.kind in "iu":
        text = str(int(val))
    else:
        text = repr(val.item())
    return f"{text}:{lit.aval.str_short()}"


def _pp_param(value: Any, source: bool = False) -> str:
    if isinstance(value, Jaxpr):
        return pp_jaxpr(value, source).replace("\n", "\n      ")
    if callable(value) and not isinstance(value, type):
        return getattr(value, "__name__", "function")
    if isinstance(value, np.dtype):
        return value.name
    if isinstance(value, type) and issubclass(value, np.generic):
        return np.dtype(value).name
    if isinstance(value, tuple):
        inner = ",".join(_pp_param(v, source) for v in value)
        return f"({inner}{',' if len(value) == 1 else ''})"
    return str(value)


def pp_jaxpr(jaxpr: Jaxpr, source: bool = False) -> str:
    """Print a program one equation a line, each variable as `name:dtype[shape]`;
    with `source`, each line ends with the user's line that made it."""
    namer = _Namer()
    consts = " ".join(namer.define(v) for v in jaxpr.constvars)
    ins = " ".join(namer.define(v) for v in jaxpr.invars)
    lines = []
    for eqn in jaxpr.eqns:
        args = " ".join(namer.use(x) for x in eqn.invars)
        params = ""
        if eqn.params:
            items = ", ".join(
                f"{k}={_pp_param(v, source)}" for k, v in eqn.params.items()
            )
            params = f"[{items}]"
        outs = " ".join(namer.define(v) for v in eqn.outvars)
        defines = f"{outs} = " if outs else ""
        line = f"    {defines}{eqn.primitive.name}{params} {args}"
        if source and eqn.source is not None:
            line = f"{line}  # {eqn.source.short()}"
        lines.append(line)
    outs = ", ".join(namer.use(v) for v in jaxpr.outvars)
    head = f"{{ lambda {consts}; {ins}. let" if consts else f"{{ lambda {ins}. let"
    body = "\n".join(lines)
    tail = f"  in ({outs}{',' if len(jaxpr.outvars) == 1 else ''}) }}"
    return "\n".join(part for part in (head, body, tail) if part)
