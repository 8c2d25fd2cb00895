"""Pictures of programs (funcgrad/_graph.py): the dot and Mermaid text
describe the program's data flow exactly, with the backward equations and
the residual edges marked, and `render` says how to get Graphviz."""

from __future__ import annotations

import os
import re
import shutil
import stat
import sys
from typing import Any

import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad import lax
from funcgrad._graph import build_graph, eqn_phase
from funcgrad.core import ClosedJaxpr, Jaxpr, Literal

# --- programs to draw ---------------------------------------------------------


def network_loss(params: Any, x: Any) -> Any:
    w1, w2 = params
    h = fnp.tanh(x @ w1)
    return fnp.sum(h @ w2)


PARAMS = (np.ones((3, 4)), np.ones((4, 2)))
X = np.ones((5, 3))
SCALE = np.arange(1.0, 4.0)


def scan_loss(x: Any) -> Any:
    def step(c: Any, w: Any) -> tuple[Any, Any]:
        return fnp.sin(c * w), c

    c, ys = lax.scan(step, x, SCALE)
    return c + fnp.sum(ys)


def programs() -> dict[str, ClosedJaxpr]:
    return {
        "forward only": fg.make_jaxpr(network_loss)(PARAMS, X),
        "gradient": fg.make_jaxpr(fg.grad(network_loss))(PARAMS, X),
        "value and gradient": fg.make_jaxpr(fg.value_and_grad(network_loss))(PARAMS, X),
        "constant": fg.make_jaxpr(fg.grad(lambda x: fnp.sum(fnp.sin(x * SCALE))))(
            np.ones(3)
        ),
        "hessian": fg.make_jaxpr(fg.hessian(lambda x: fnp.sum(fnp.exp(x) ** 3)))(
            np.ones(2)
        ),
        "scan gradient": fg.make_jaxpr(fg.grad(scan_loss))(0.5),
        "literal output": fg.make_jaxpr(lambda x: (x, 2.0))(1.0),
    }


PROGRAMS = programs()


@pytest.fixture(params=sorted(PROGRAMS))
def program(request: Any) -> ClosedJaxpr:
    return PROGRAMS[request.param]


# --- what the text must say, computed from the program itself -----------------


def node_ids(program: ClosedJaxpr) -> dict[Any, str]:
    """The node id of every variable's definition, as the pictures name them."""
    jaxpr = program.jaxpr
    ids: dict[Any, str] = {}
    ids.update((v, f"c{i}") for i, v in enumerate(jaxpr.constvars))
    ids.update((v, f"in{i}") for i, v in enumerate(jaxpr.invars))
    for i, eqn in enumerate(jaxpr.eqns):
        ids.update((v, f"e{i}") for v in eqn.outvars)
    return ids


def expected_edges(program: ClosedJaxpr) -> set[tuple[str, str]]:
    jaxpr = program.jaxpr
    ids = node_ids(program)
    edges = {
        (ids[x], f"e{i}")
        for i, eqn in enumerate(jaxpr.eqns)
        for x in eqn.invars
        if type(x) is not Literal
    }
    edges |= {
        (ids[x], f"out{i}")
        for i, x in enumerate(jaxpr.outvars)
        if type(x) is not Literal
    }
    return edges


def backward_ids(program: ClosedJaxpr) -> set[str]:
    return {
        f"e{i}"
        for i, eqn in enumerate(program.eqns)
        if eqn.source is not None and eqn.source.phase == "backward"
    }


def expected_residual_edges(program: ClosedJaxpr) -> set[tuple[str, str]]:
    """Edges from a forward value (a forward equation's output, an input or
    a constant) into a backward equation."""
    backward = backward_ids(program)
    return {
        (a, b)
        for a, b in expected_edges(program)
        if b in backward and a not in backward
    }


# --- parsing the dot text -----------------------------------------------------

DOT_NODE = re.compile(r'^\s*(\w+) \[label="((?:[^"\\]|\\.)*)"(.*)\];$')
DOT_EDGE = re.compile(r"^\s*(\w+) -> (\w+) \[(.*)\];$")
DOT_CLASS = re.compile(r'class="([^"]*)"')


def parse_dot(text: str) -> tuple[dict[str, dict[str, Any]], list[tuple[str, ...]]]:
    """Nodes (id -> label, class, cluster) and edges (source, target, class),
    checking every line has a known form and the braces balance."""
    lines = text.strip().splitlines()
    assert lines[0] == "digraph jaxpr {" and lines[-1] == "}"
    nodes: dict[str, dict[str, Any]] = {}
    edges: list[tuple[str, ...]] = []
    cluster = None
    for line in lines[1:-1]:
        if m := re.match(r"^\s*subgraph cluster_(\w+) \{$", line):
            assert cluster is None, "clusters do not nest"
            cluster = m.group(1)
        elif line.strip() == "}":
            assert cluster is not None
            cluster = None
        elif m := DOT_EDGE.match(line):
            (cls,) = DOT_CLASS.findall(m.group(3))
            edges.append((m.group(1), m.group(2), cls))
        elif m := DOT_NODE.match(line):
            assert m.group(1) not in nodes, f"{m.group(1)} declared twice"
            (cls,) = DOT_CLASS.findall(m.group(3))
            nodes[m.group(1)] = {
                "label": m.group(2).split("\\n"),
                "class": cls.split(),
                "cluster": cluster,
            }
        else:
            assert re.match(r"^\s*(rankdir|node|edge|label)\b", line), line
    assert cluster is None
    return nodes, edges


def test_dot_edges_join_declared_nodes(program):
    nodes, edges = parse_dot(program.to_dot())
    assert edges
    for source, target, _ in edges:
        assert source in nodes and target in nodes


def test_dot_has_one_node_per_equation_input_constant_and_output(program):
    nodes, _ = parse_dot(program.to_dot())
    jaxpr = program.jaxpr
    equations = [n for n, d in nodes.items() if "equation" in d["class"]]
    assert len(equations) == len(jaxpr.eqns)
    assert sum("input" in d["class"] for d in nodes.values()) == len(jaxpr.invars)
    kinds = [d["class"] for d in nodes.values()]
    assert kinds.count(["constant"]) == len(jaxpr.constvars)
    assert kinds.count(["output"]) == len(jaxpr.outvars)


def test_dot_edges_are_the_data_flow(program):
    _, edges = parse_dot(program.to_dot())
    assert {(a, b) for a, b, _ in edges} == expected_edges(program)
    assert len(edges) == len(expected_edges(program)), "one edge per pair"


def test_dot_marks_exactly_the_backward_equations(program):
    nodes, _ = parse_dot(program.to_dot())
    marked = {n for n, d in nodes.items() if "backward" in d["class"]}
    assert marked == backward_ids(program)
    if marked and len(marked) < len(program.eqns):
        clustered = {n for n, d in nodes.items() if d["cluster"] == "backward"}
        assert clustered == marked
        forward = {n for n, d in nodes.items() if d["cluster"] == "forward"}
        assert len(forward) == len(program.eqns) - len(marked)


def test_dot_residual_edges_are_the_forward_to_backward_edges(program):
    _, edges = parse_dot(program.to_dot())
    residual = {(a, b) for a, b, cls in edges if cls == "residual"}
    assert residual == expected_residual_edges(program)
    for line in program.to_dot().splitlines():
        if 'class="residual"' in line:
            assert "style=dashed" in line
    # The other edges take their colour from the pass of their source.
    backward = backward_ids(program)
    for a, _, cls in edges:
        if cls != "residual":
            assert cls == ("backward" if a in backward else "forward")


def test_dot_labels_name_the_primitive_and_output_types():
    program = PROGRAMS["gradient"]
    nodes, _ = parse_dot(program.to_dot())
    for i, eqn in enumerate(program.eqns):
        label = nodes[f"e{i}"]["label"]
        assert label[0] == eqn.primitive.name
        assert [s.split(":")[1] for s in label[1:]] == [
            v.aval.str_short() for v in eqn.outvars
        ]
    # The names are those of the printed program.
    printed = str(program).splitlines()[1]
    assert printed.strip().startswith(nodes["e0"]["label"][1])


def test_the_gradient_of_the_network_keeps_its_residuals():
    program = PROGRAMS["gradient"]
    _, edges = parse_dot(program.to_dot())
    residual = {(a, b) for a, b, cls in edges if cls == "residual"}
    names = {n.id: n.label for n in build_graph(program).nodes}
    # tanh's output, 1 - tanh**2, w2 and x are read by the backward pass.
    sources = sorted(names[a][0] for a, _ in residual)
    assert sources == ["input", "input", "sub", "tanh"]


def test_a_nested_program_is_one_node():
    program = PROGRAMS["scan gradient"]
    nodes, _ = parse_dot(program.to_dot())
    scans = [d for d in nodes.values() if d["label"][0].startswith("scan")]
    assert scans
    assert all("nested" in d["label"][0] for d in scans)
    assert len([d for d in nodes.values() if "equation" in d["class"]]) == len(
        program.eqns
    )


def test_a_jaxpr_draws_like_its_closed_jaxpr():
    program = PROGRAMS["constant"]
    assert isinstance(program.jaxpr, Jaxpr)
    assert program.jaxpr.to_dot() == program.to_dot()
    assert program.jaxpr.to_mermaid() == program.to_mermaid()


def test_eqn_phase_defaults_to_forward():
    program = PROGRAMS["forward only"]
    assert {eqn_phase(e) for e in program.eqns} == {"forward"}


# --- parsing the Mermaid text -------------------------------------------------

MERMAID_NODE = re.compile(r'^\s*(\w+)(\["|\(\["|\[/")(.*?)("\]|"\]\)|"\\\])$')
MERMAID_EDGE = re.compile(r"^\s*(\w+) (-->|-\.->) (\w+)$")


def parse_mermaid(text: str) -> tuple[dict[str, dict[str, Any]], list, dict]:
    lines = text.strip().splitlines()
    assert lines[0] == "flowchart TB"
    nodes: dict[str, dict[str, Any]] = {}
    edges: list[tuple[str, str, str]] = []
    classes: dict[str, set[str]] = {}
    link_styles: dict[int, str] = {}
    subgraph = None
    for line in lines[1:]:
        if m := re.match(r'^\s*subgraph (\w+)\["[^"]*"\]$', line):
            assert subgraph is None
            subgraph = m.group(1)
        elif line.strip() == "end":
            assert subgraph is not None
            subgraph = None
        elif m := MERMAID_EDGE.match(line):
            edges.append(m.groups())
        elif m := re.match(r"^\s*class ([\w,]+) (\w+)$", line):
            for n in m.group(1).split(","):
                classes.setdefault(n, set()).add(m.group(2))
        elif m := re.match(r"^\s*linkStyle ([\d,]+) stroke:(#\w+)", line):
            for i in m.group(1).split(","):
                link_styles[int(i)] = m.group(2)
        elif re.match(r"^\s*classDef \w+ ", line):
            pass
        elif m := MERMAID_NODE.match(line):
            assert m.group(1) not in nodes
            nodes[m.group(1)] = {"label": m.group(3), "subgraph": subgraph}
        else:
            raise AssertionError(f"unexpected line {line!r}")
    assert subgraph is None
    return nodes, edges, {"classes": classes, "link_styles": link_styles}


def test_mermaid_describes_the_same_graph(program):
    nodes, edges, styles = parse_mermaid(program.to_mermaid())
    dot_nodes, _ = parse_dot(program.to_dot())
    assert set(nodes) == set(dot_nodes)
    for source, _, target in edges:
        assert source in nodes and target in nodes
    assert {(a, b) for a, _, b in edges} == expected_edges(program)
    assert set(styles["classes"]) == set(nodes)

    equations = [n for n in nodes if n.startswith("e")]
    assert len(equations) == len(program.eqns)
    backward = {n for n in nodes if "backward" in styles["classes"][n]}
    assert backward == backward_ids(program)
    if backward and len(backward) < len(equations):
        assert backward == {
            n for n, d in nodes.items() if d["subgraph"] == "backward_pass"
        }


def test_mermaid_residual_links_are_dotted_and_red(program):
    _, edges, styles = parse_mermaid(program.to_mermaid())
    dotted = {(a, b) for a, arrow, b in edges if arrow == "-.->"}
    assert dotted == expected_residual_edges(program)
    red = {i for i, colour in styles["link_styles"].items() if colour == "#d62728"}
    assert red == {i for i, (_, arrow, _) in enumerate(edges) if arrow == "-.->"}


def test_mermaid_quotes_in_labels_are_escaped():
    text = PROGRAMS["gradient"].to_mermaid()
    for line in text.splitlines():
        if m := MERMAID_NODE.match(line):
            assert '"' not in m.group(3)


# --- rendering ----------------------------------------------------------------


def test_render_without_graphviz_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(fg.FuncgradError, match="Install Graphviz") as info:
        PROGRAMS["gradient"].render(tmp_path / "grad.svg")
    assert "`dot`" in str(info.value) and "to_mermaid" in str(info.value)
    assert not (tmp_path / "grad.svg").exists()


@pytest.mark.skipif(sys.platform == "win32", reason="a shell script stands in")
def test_render_passes_the_dot_text_to_graphviz(monkeypatch, tmp_path):
    # A stand-in `dot` that records its arguments and copies its input.
    fake = tmp_path / "dot"
    fake.write_text('#!/bin/sh\necho "$@" > "$(dirname "$0")/args"\ncat > "$3"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(shutil, "which", lambda name: str(fake))
    out = PROGRAMS["gradient"].render(tmp_path / "grad.png", format="png")
    assert out == os.fspath(tmp_path / "grad.png")
    assert (tmp_path / "grad.png").read_text() == PROGRAMS["gradient"].to_dot()
    assert (tmp_path / "args").read_text().split()[0] == "-Tpng"


@pytest.mark.skipif(sys.platform == "win32", reason="a shell script stands in")
def test_render_reports_a_failing_graphviz(monkeypatch, tmp_path):
    fake = tmp_path / "dot"
    fake.write_text("#!/bin/sh\necho 'bad format' >&2\nexit 3\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(shutil, "which", lambda name: str(fake))
    with pytest.raises(fg.FuncgradError, match="status 3: bad format"):
        PROGRAMS["gradient"].render(tmp_path / "grad.xyz", format="xyz")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_render_writes_an_image(tmp_path):
    path = PROGRAMS["gradient"].render(tmp_path / "grad.svg")
    text = open(path).read()
    assert "<svg" in text and "residual" in text
