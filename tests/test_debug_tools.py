"""Source locations in the IR, `funcgrad.debug.print` and `callback`, and
the NaN and infinity trap (`debug_nans`, `debug_infs`).

Line numbers are found in this file's own source (`_line_of`), not
written down, so editing the file does not break the tests.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad import lax
from funcgrad.errors import FuncgradNaNError

HERE = __file__


def _line_of(fun: Any, marker: str) -> int:
    """The line of `fun`'s source that contains `marker`."""
    lines, start = inspect.getsourcelines(fun)
    (offset,) = [i for i, text in enumerate(lines) if marker in text]
    return start + offset


@pytest.fixture
def trap() -> Iterator[None]:
    fg.config.update("debug_nans", True)
    try:
        yield
    finally:
        fg.config.update("debug_nans", False)


# --- source locations -------------------------------------------------------------


def layer(x: Any, w: Any) -> Any:
    h = fnp.tanh(x @ w)  # the layer
    return fnp.sum(h**2)  # the loss


def test_every_equation_records_the_users_line() -> None:
    x, w = np.ones((2, 3)), np.ones((3, 4))

    closed = fg.make_jaxpr(layer)(x, w)

    layer_line = _line_of(layer, "# the layer")
    loss_line = _line_of(layer, "# the loss")
    lines = {e.primitive.name: e.source.line for e in closed.eqns}
    assert lines["dot_general"] == lines["tanh"] == layer_line
    assert lines["integer_pow"] == lines["reduce_sum"] == loss_line
    assert all(e.source.file == HERE for e in closed.eqns)
    assert all(e.source.phase == "forward" for e in closed.eqns)


def test_backward_equations_point_at_the_line_they_differentiate() -> None:
    x, w = np.ones((2, 3)), np.ones((3, 4))

    closed = fg.make_jaxpr(fg.grad(layer, argnums=1))(x, w)

    layer_line = _line_of(layer, "# the layer")
    backward = [e for e in closed.eqns if e.source.phase == "backward"]
    forward = [e for e in closed.eqns if e.source.phase == "forward"]
    # The gradient of w is x^T times the cotangent of x @ w: a backward
    # product made for the line of the layer.
    (product,) = [e for e in backward if e.primitive.name == "dot_general"]
    assert product.source.line == layer_line
    assert {e.primitive.name for e in forward} >= {"dot_general", "tanh"}
    text = closed.pretty(source=True)
    assert f"test_debug_tools.py:{layer_line} (layer) [backward]" in text
    assert "test_debug_tools.py" not in str(closed)  # only on request


def test_the_printer_shows_sources_inside_control_flow_bodies() -> None:
    def f(x: Any) -> Any:
        return lax.scan(lambda c, v: (c * v, c), 1.0, x)[0]  # the scan

    text = fg.make_jaxpr(f)(np.arange(3.0)).pretty(source=True)

    line = _line_of(f, "# the scan")
    # The scan itself and the product inside its body.
    assert text.count(f"test_debug_tools.py:{line} (") >= 2


# --- debug.print and debug.callback -----------------------------------------------


def test_debug_print_under_jit_vmap_grad_prints_each_members_primal(
    capsys: Any,
) -> None:
    def f(x: Any) -> Any:
        y = fnp.sin(x)
        fg.debug.print("y={y}", y=y)
        return fnp.sum(y * x)

    xs = np.array([[0.0, 0.5], [1.0, 2.0]])

    grads = fg.jit(fg.vmap(fg.grad(f)))(xs)
    first = capsys.readouterr().out
    fg.jit(fg.vmap(fg.grad(f)))(xs)  # the cached program prints again
    second = capsys.readouterr().out

    want = "".join(f"y={np.sin(row)}\n" for row in xs)
    assert first == want
    assert second == want
    np.testing.assert_allclose(grads, np.sin(xs) + xs * np.cos(xs))


def test_debug_print_is_not_dead_code_and_not_run_at_trace_time(capsys: Any) -> None:
    def f(x: Any) -> Any:
        fg.debug.print("x={}", x * 2)  # its value is used by nothing else
        return x

    closed = fg.make_jaxpr(f)(1.0)
    assert capsys.readouterr().out == ""
    assert "debug_callback" in str(closed)
    fg.jit(f)(3.0)
    assert capsys.readouterr().out == "x=6.0\n"


def test_debug_print_inside_scan_runs_every_step_in_order(capsys: Any) -> None:
    def total(xs: Any) -> Any:
        def step(c: Any, x: Any) -> tuple[Any, None]:
            fg.debug.print("{} {}", c, x)
            return c + x, None

        return lax.scan(step, 0.0, xs)[0]

    xs = np.array([1.0, 2.0, 4.0])
    want = "0.0 1.0\n1.0 2.0\n3.0 4.0\n"
    fg.jit(total)(xs)
    assert capsys.readouterr().out == want
    fg.grad(total)(xs)
    assert capsys.readouterr().out == want


def test_debug_callback_gets_numpy_values_in_their_pytree() -> None:
    seen: list[Any] = []

    def f(x: Any) -> Any:
        fg.debug.callback(lambda d: seen.append(d), {"x": x, "twice": 2 * x})
        return x

    fg.jit(f)(np.array([1.0, 2.0]))

    (got,) = seen
    assert set(got) == {"x", "twice"}
    assert all(type(v) is np.ndarray for v in got.values())
    np.testing.assert_array_equal(got["twice"], [2.0, 4.0])


def test_debug_print_rejects_a_missing_format_string() -> None:
    with pytest.raises(TypeError, match="format string"):
        fg.debug.print(np.ones(2))


# --- the NaN trap -----------------------------------------------------------------


def cancels(x: Any) -> Any:
    # sqrt(0) is fine, but its derivative divides by zero: 1 / (2 sqrt(0))
    # is inf, and the two infinite cotangents of x * x - x * x cancel into NaN.
    y = fnp.sqrt(x * x - x * x)  # the root
    return fnp.sum(y)


def test_a_nan_of_the_backward_pass_names_the_line_and_the_pass(trap: None) -> None:
    x = np.array([1.0, 2.0])
    assert cancels(x) == 0.0  # the forward pass is clean

    with pytest.raises(FuncgradNaNError) as info:
        fg.grad(cancels)(x)

    message = str(info.value)
    assert "backward pass" in message
    assert f'"{HERE}", line {_line_of(cancels, "# the root")}' in message
    assert "inf" in message  # the summary of the inputs


def test_under_jit_the_program_is_rerun_to_find_the_culprit(trap: None) -> None:
    x = np.array([1.0, 2.0])

    with pytest.raises(FuncgradNaNError) as info:
        fg.jit(fg.grad(cancels))(x)

    message = str(info.value)
    assert "backward pass" in message
    assert f"line {_line_of(cancels, '# the root')}" in message


def test_a_forward_nan_names_the_primitive(trap: None) -> None:
    def f(x: Any) -> Any:
        return fnp.sum(fnp.log(x - 2.0))  # the log

    with pytest.raises(FuncgradNaNError) as info:
        fg.grad(f)(np.array([1.0]))

    message = str(info.value)
    assert message.startswith("`log` produced NaN in the forward pass")
    assert f"line {_line_of(f, '# the log')}" in message


def test_the_trap_is_off_by_default_and_infs_have_their_own_setting() -> None:
    x = np.array([1.0, 2.0])
    with np.errstate(invalid="ignore", divide="ignore"):
        assert np.isnan(fg.grad(cancels)(x)).all()
        fg.config.update("debug_infs", True)
        try:
            with pytest.raises(FuncgradNaNError, match="produced inf"):
                fg.grad(cancels)(x)
        finally:
            fg.config.update("debug_infs", False)


def test_a_print_inside_a_loop_survives_when_the_loop_result_is_unused(
    capsys: Any,
) -> None:
    def body(c: Any, x: Any) -> tuple[Any, Any]:
        fg.debug.print("s {}", c)
        return c * x, c

    def unused(w: Any) -> Any:
        lax.scan(body, w, fnp.ones(2))
        return w + 1

    def linear(w: Any) -> Any:  # grad needs no forward value of the loop
        return lax.scan(body, w, fnp.ones(2) * 2)[0]

    fg.jit(unused)(1.0)
    assert capsys.readouterr().out == "s 1.0\ns 1.0\n"
    fg.jit(fg.grad(linear))(1.0)
    assert capsys.readouterr().out == "s 1.0\ns 2.0\n"
