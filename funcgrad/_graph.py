"""Pictures of programs: a Jaxpr as a Graphviz or Mermaid graph.

Each input, constant, equation and output is a node; an edge runs from the
node that defines a value to every equation (or output) that reads it. The
equations of a backward pass (`eqn.source.phase == "backward"`) are drawn
apart from the forward ones, in their own cluster and colour, and the edges
that carry a forward value into the backward pass (the residuals: forward
equations' outputs, inputs and constants read by a backward equation) are
dashed and red. A nested program (the body of a `scan`, the branches of a
`cond`) is one node, labelled with its primitive.

>>> import funcgrad as fg, funcgrad.numpy as fnp
>>> program = fg.make_jaxpr(fg.grad(lambda x: fnp.sum(fnp.tanh(x))))(fnp.ones(3))
>>> print(program.to_dot().splitlines()[0])
digraph jaxpr {

`to_dot` and `to_mermaid` return text and need nothing installed; `render`
runs Graphviz's `dot` program to write an image. The IR's `Jaxpr` and
`ClosedJaxpr` offer all three as methods. This module reads the IR only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from typing import NamedTuple

from funcgrad.core._ir import (
    Atom,
    ClosedJaxpr,
    Jaxpr,
    JaxprEqn,
    Literal,
    Var,
    _Namer,
)
from funcgrad.errors import FuncgradError

Program = Jaxpr | ClosedJaxpr

FORWARD_FILL = "#dbe9f6"
FORWARD_LINE = "#3b6ea5"
BACKWARD_FILL = "#fde3cf"
BACKWARD_LINE = "#c4661f"
VALUE_FILL = "#f2f2f2"
RESIDUAL_LINE = "#d62728"


class Node(NamedTuple):
    """A box of the picture: `kind` is "input", "constant", "equation" or
    "output"; `phase` is "forward" or "backward" (equations only differ)."""

    id: str
    kind: str
    label: list[str]
    phase: str


class Edge(NamedTuple):
    """A value flowing from the node that defines it to one that reads it;
    `kind` is "forward", "backward" or "residual"."""

    source: str
    target: str
    kind: str


class Graph(NamedTuple):
    nodes: list[Node]
    edges: list[Edge]


# --- the graph ----------------------------------------------------------------


def eqn_phase(eqn: JaxprEqn) -> str:
    """The pass `eqn` belongs to: "backward" or "forward"."""
    source = eqn.source
    return (
        "backward" if source is not None and source.phase == "backward" else "forward"
    )


def _nested_size(eqn: JaxprEqn) -> int | None:
    """The number of equations of the programs among `eqn`'s parameters (a
    loop body, the branches of a `cond`), or None when it has none."""
    stack = list(eqn.params.values())
    count = None
    while stack:
        value = stack.pop()
        if isinstance(value, ClosedJaxpr):
            value = value.jaxpr
        if isinstance(value, Jaxpr):
            count = (count or 0) + len(value.eqns)
        elif isinstance(value, tuple | list):
            stack.extend(value)
    return count


def build_graph(program: Program) -> Graph:
    """The nodes and edges of `program`, in the order of the printed text."""
    jaxpr = program.jaxpr if isinstance(program, ClosedJaxpr) else program
    namer = _Namer()
    nodes: list[Node] = []
    defined_by: dict[Var, Node] = {}

    def value_node(var: Var, kind: str, index: int) -> None:
        prefix = "c" if kind == "constant" else "in"
        node = Node(f"{prefix}{index}", kind, [kind, namer.define(var)], "forward")
        nodes.append(node)
        defined_by[var] = node

    for i, var in enumerate(jaxpr.constvars):
        value_node(var, "constant", i)
    for i, var in enumerate(jaxpr.invars):
        value_node(var, "input", i)

    edges: list[Edge] = []

    def connect(atoms: Sequence[Atom], target: Node) -> None:
        seen: set[str] = set()
        for atom in atoms:
            if type(atom) is Literal or atom not in defined_by:
                continue
            source = defined_by[atom]
            if source.id not in seen:
                seen.add(source.id)
                edges.append(Edge(source.id, target.id, _edge_kind(source, target)))

    for i, eqn in enumerate(jaxpr.eqns):
        name = eqn.primitive.name
        size = _nested_size(eqn)
        if size is not None:
            plural = "" if size == 1 else "s"
            name = f"{name} (nested: {size} equation{plural})"
        outs = [namer.define(v) for v in eqn.outvars]
        node = Node(f"e{i}", "equation", [name, *outs], eqn_phase(eqn))
        connect(eqn.invars, node)
        nodes.append(node)
        defined_by.update((v, node) for v in eqn.outvars)

    for i, atom in enumerate(jaxpr.outvars):
        shown = namer.use(atom)
        node = Node(f"out{i}", "output", [f"output {i}", shown], "forward")
        nodes.append(node)
        connect([atom], node)
    return Graph(nodes, edges)


def _edge_kind(source: Node, target: Node) -> str:
    if source.phase == "backward":
        return "backward"
    if target.kind == "equation" and target.phase == "backward":
        return "residual"
    return "forward"


# --- Graphviz -----------------------------------------------------------------


def _dot_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _dot_node(node: Node) -> str:
    label = _dot_string("\n".join(node.label)).replace("\n", "\\n")
    if node.kind == "equation":
        fill, line = (
            (BACKWARD_FILL, BACKWARD_LINE)
            if node.phase == "backward"
            else (FORWARD_FILL, FORWARD_LINE)
        )
        return (
            f'{node.id} [label={label}, fillcolor="{fill}", color="{line}", '
            f'class="{node.phase} equation"];'
        )
    shape = "invhouse" if node.kind == "output" else "ellipse"
    return (
        f'{node.id} [label={label}, shape={shape}, fillcolor="{VALUE_FILL}", '
        f'class="{node.kind}"];'
    )


def _dot_edge(edge: Edge) -> str:
    style = {
        "forward": f'color="{FORWARD_LINE}"',
        "backward": f'color="{BACKWARD_LINE}"',
        "residual": f'color="{RESIDUAL_LINE}", style=dashed, penwidth=1.6',
    }[edge.kind]
    return f'{edge.source} -> {edge.target} [{style}, class="{edge.kind}"];'


def to_dot(program: Program) -> str:
    """The program as Graphviz dot text.

    Forward equations are blue boxes, backward ones orange, each phase in
    its own cluster when both are present; residual edges are dashed red.

    >>> import funcgrad as fg, funcgrad.numpy as fnp
    >>> dot = fg.make_jaxpr(fnp.sin)(1.0).to_dot()
    >>> [line for line in dot.splitlines() if "->" in line][0]
    '  in0 -> e0 [color="#3b6ea5", class="forward"];'
    """
    graph = build_graph(program)
    lines = [
        "digraph jaxpr {",
        "  rankdir=TB;",
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", '
        "fontsize=10];",
        "  edge [arrowsize=0.7];",
    ]
    equations = [n for n in graph.nodes if n.kind == "equation"]
    phases = {n.phase for n in equations}
    lines += [f"  {_dot_node(n)}" for n in graph.nodes if n.kind != "equation"]
    for phase, line in (("forward", FORWARD_LINE), ("backward", BACKWARD_LINE)):
        members = [n for n in equations if n.phase == phase]
        if len(phases) < 2:
            lines += [f"  {_dot_node(n)}" for n in members]
            continue
        lines.append(f"  subgraph cluster_{phase} {{")
        lines.append(
            f'    label="{phase} pass"; style="rounded,dashed"; color="{line}"; '
            f'fontcolor="{line}";'
        )
        lines += [f"    {_dot_node(n)}" for n in members]
        lines.append("  }")
    lines += [f"  {_dot_edge(e)}" for e in graph.edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


# --- Mermaid ------------------------------------------------------------------


def _mermaid_label(node: Node) -> str:
    text = "<br/>".join(node.label).replace('"', "#quot;")
    if node.kind == "equation":
        return f'["{text}"]'
    if node.kind == "output":
        return f'[/"{text}"\\]'
    return f'(["{text}"])'


def to_mermaid(program: Program) -> str:
    """The program as a Mermaid flowchart, which browsers draw without
    Graphviz (mkdocs-material renders a ```` ```mermaid ```` block).

    The colours and clusters are those of `to_dot`; residual links are
    dotted (`-.->`) and red.

    >>> import funcgrad as fg, funcgrad.numpy as fnp
    >>> print(fg.make_jaxpr(fnp.sin)(1.0).to_mermaid().splitlines()[0])
    flowchart TB
    """
    graph = build_graph(program)
    lines = ["flowchart TB"]
    equations = [n for n in graph.nodes if n.kind == "equation"]
    phases = {n.phase for n in equations}
    lines += [
        f"  {n.id}{_mermaid_label(n)}" for n in graph.nodes if n.kind != "equation"
    ]
    for phase in ("forward", "backward"):
        members = [n for n in equations if n.phase == phase]
        if len(phases) < 2:
            lines += [f"  {n.id}{_mermaid_label(n)}" for n in members]
            continue
        lines.append(f'  subgraph {phase}_pass["{phase} pass"]')
        lines += [f"    {n.id}{_mermaid_label(n)}" for n in members]
        lines.append("  end")
    for edge in graph.edges:
        arrow = "-.->" if edge.kind == "residual" else "-->"
        lines.append(f"  {edge.source} {arrow} {edge.target}")

    lines.append(f"  classDef forward fill:{FORWARD_FILL},stroke:{FORWARD_LINE}")
    lines.append(f"  classDef backward fill:{BACKWARD_FILL},stroke:{BACKWARD_LINE}")
    lines.append(f"  classDef value fill:{VALUE_FILL},stroke:#888888")
    for cls, ids in (
        ("forward", [n.id for n in equations if n.phase == "forward"]),
        ("backward", [n.id for n in equations if n.phase == "backward"]),
        ("value", [n.id for n in graph.nodes if n.kind != "equation"]),
    ):
        if ids:
            lines.append(f"  class {','.join(ids)} {cls}")
    for kind, colour, width in (
        ("backward", BACKWARD_LINE, 1),
        ("residual", RESIDUAL_LINE, 2),
    ):
        index = [str(i) for i, e in enumerate(graph.edges) if e.kind == kind]
        if index:
            lines.append(
                f"  linkStyle {','.join(index)} stroke:{colour},stroke-width:{width}px"
            )
    return "\n".join(lines) + "\n"


# --- rendering ----------------------------------------------------------------


def render(program: Program, path: str | os.PathLike[str], format: str = "svg") -> str:
    """Write the picture of `program` to `path` as `format` ("svg", "png",
    "pdf", any format of `dot -T`) with Graphviz's `dot` program, and return
    the path.

    Raises `FuncgradError` when `dot` is not installed, saying how to get it,
    or when `dot` fails.
    """
    dot = shutil.which("dot")
    if dot is None:
        raise FuncgradError(
            "`render` needs Graphviz's `dot` program, which is not on PATH. "
            "Install Graphviz (`apt install graphviz`, `brew install graphviz`, "
            "`conda install graphviz`, or https://graphviz.org/download/), or "
            "save the text of `to_dot()` and render it elsewhere; "
            "`to_mermaid()` needs nothing installed."
        )
    path = os.fspath(path)
    proc = subprocess.run(
        [dot, f"-T{format}", "-o", path],
        input=to_dot(program),
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise FuncgradError(
            f"`render`: Graphviz's `dot -T{format}` failed with status "
            f"{proc.returncode}: {proc.stderr.strip()}"
        )
    return path
