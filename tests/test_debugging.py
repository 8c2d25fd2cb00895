"""Clean tracebacks (`funcgrad._traceback`, the `traceback_filtering`
setting) and the trace and compile logs of `jit` (`log_compiles`,
`retrace_warning_threshold`).

Most tests here run with numba disabled: they are about traces, not
kernels. The compile-log tests compile one tiny kernel in all.
"""

from __future__ import annotations

import inspect
import logging
import os
import re
import subprocess
import sys
import traceback
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad import lax
from funcgrad.backend import _kernels
from funcgrad.errors import FuncgradValueError, RetraceWarning, ShapeError

HERE = os.path.abspath(__file__)
PACKAGE = os.path.dirname(os.path.abspath(fg.__file__)) + os.sep


@pytest.fixture
def no_numba() -> Iterator[None]:
    fg.config.update("disable_numba", True)
    try:
        yield
    finally:
        fg.config.update("disable_numba", False)


@pytest.fixture
def unfiltered() -> Iterator[None]:
    fg.config.update("traceback_filtering", "off")
    try:
        yield
    finally:
        fg.config.update("traceback_filtering", "on")


# --- clean tracebacks ---------------------------------------------------------


def bad_matmul(x: Any) -> Any:
    return x @ fnp.ones((4, 4))  # raises: x has 3 columns


def _under_jit(x: Any) -> Any:
    return fg.jit(bad_matmul)(x)


def _under_grad(x: Any) -> Any:
    return fg.grad(lambda v: fnp.sum(bad_matmul(v)))(x)


def _under_vmap(x: Any) -> Any:
    return fg.vmap(bad_matmul)(fnp.stack([x, x]))


def _under_scan(x: Any) -> Any:
    def body(carry: Any, row: Any) -> tuple[Any, Any]:
        return carry, bad_matmul(row)

    return lax.scan(body, 0.0, fnp.stack([x, x]))


def _nested(x: Any) -> Any:
    return fg.jit(lambda v: fg.vmap(fg.grad(lambda u: fnp.sum(bad_matmul(u))))(v))(
        fnp.stack([x, x])
    )


ENTRY_POINTS = {
    "jit": _under_jit,
    "grad": _under_grad,
    "vmap": _under_vmap,
    "scan": _under_scan,
    "nested": _nested,
}


def _raise(call: Callable[[Any], Any]) -> BaseException:
    with pytest.raises(ShapeError) as info:
        call(np.ones(3))
    return info.value


def _frames(err: BaseException) -> list[traceback.FrameSummary]:
    return traceback.extract_tb(err.__traceback__)


@pytest.mark.parametrize("name", sorted(ENTRY_POINTS))
def test_a_shape_error_under_a_transform_shows_only_the_users_frames(
    name: str, no_numba: None
) -> None:
    err = _raise(ENTRY_POINTS[name])

    frames = _frames(err)
    # The traceback starts in this file, where `pytest.raises` caught it,
    # and ends on the user's line that made the bad product: funcgrad's
    # own error, so the frame that raised it (funcgrad's) is hidden too.
    assert frames[0].filename == HERE
    assert [f.filename for f in frames] == [HERE] * len(frames)
    assert frames[-1].name == "bad_matmul"
    assert "x @ fnp.ones((4, 4))" in frames[-1].line
    (note,) = err.__notes__
    hidden = int(re.match(r"funcgrad hid (\d+) of its internal frames", note)[1])
    assert hidden > 3 and "traceback_filtering" in note


@pytest.mark.parametrize("name", sorted(ENTRY_POINTS))
def test_with_filtering_off_the_internal_frames_are_back(
    name: str, no_numba: None
) -> None:
    filtered = _raise(ENTRY_POINTS[name])
    fg.config.update("traceback_filtering", "off")
    try:
        full = _raise(ENTRY_POINTS[name])
    finally:
        fg.config.update("traceback_filtering", "on")

    assert type(full) is type(filtered) and str(full) == str(filtered)
    assert not getattr(full, "__notes__", None)
    frames = _frames(full)
    internal = [f for f in frames if f.filename.startswith(PACKAGE)]
    (note,) = filtered.__notes__
    assert len(internal) == int(re.search(r"\d+", note)[0])
    assert frames[-1].filename.startswith(PACKAGE)  # where it was raised
    user = [f.name for f in frames if f.filename == HERE]
    assert user == [f.name for f in _frames(filtered)]


def test_the_users_own_exception_passes_through_unchanged(no_numba: None) -> None:
    class Stop(Exception):
        pass

    def f(x: Any) -> Any:
        raise Stop("from the user")

    with pytest.raises(Stop) as info:
        fg.jit(fg.grad(f))(1.0)

    assert str(info.value) == "from the user"  # `match` sees the note too
    frames = _frames(info.value)
    assert [f.filename for f in frames] == [HERE, HERE]
    assert frames[-1].name == "f"


def test_an_error_that_is_not_funcgrads_keeps_the_frame_that_raised_it() -> None:
    def takes_one(x: Any) -> Any:
        return x

    with pytest.raises(TypeError, match="positional argument") as info:
        fg.grad(takes_one)(1.0, 2.0)  # funcgrad calls `takes_one(1.0, 2.0)`

    frames = _frames(info.value)
    assert frames[0].filename == HERE
    assert frames[-1].filename.startswith(PACKAGE)  # the call that failed
    assert [f.filename.startswith(PACKAGE) for f in frames] == [False, True]


def test_errors_raised_before_tracing_and_in_returned_functions_are_filtered() -> None:
    with pytest.raises(TypeError, match="floating-point") as info:
        fg.grad(lambda n: n * 2)(3)
    assert [f.filename for f in _frames(info.value)] == [HERE]

    _, f_vjp = fg.vjp(fnp.sin, np.ones(3))
    with pytest.raises(TypeError, match="shape") as info:
        f_vjp(np.ones(4))
    assert [f.filename for f in _frames(info.value)] == [HERE]


def test_a_custom_jvp_functions_error_is_filtered(no_numba: None) -> None:
    @fg.custom_jvp
    def g(x: Any) -> Any:
        return bad_matmul(x)

    g.defjvp(lambda primals, tangents: (g(*primals), tangents[0]))

    err = _raise(g)

    assert [f.name for f in _frames(err)] == ["_raise", "g", "bad_matmul"]


def test_a_concretization_error_ends_on_the_users_if(no_numba: None) -> None:
    def f(x: Any) -> Any:
        if x > 0:  # the user's branch on a traced value
            return x
        return -x

    with pytest.raises(TypeError, match="lax.cond") as info:
        fg.jit(f)(1.0)

    frames = _frames(info.value)
    assert frames[-1].name == "f" and "if x > 0" in frames[-1].line
    assert all(f.filename == HERE for f in frames)


def test_the_wrappers_keep_names_signatures_and_docs() -> None:
    assert inspect.signature(lax.scan) == inspect.signature(lax._control.scan)
    assert lax.scan.__doc__ == lax._control.scan.__doc__
    assert fg.grad(bad_matmul).__name__ == "bad_matmul"
    jf = fg.jit(bad_matmul)
    assert jf.__name__ == "bad_matmul" and jf.cache_info().misses == 0


def test_the_filtering_setting_takes_on_or_off(unfiltered: None) -> None:
    assert fg.config.traceback_filtering == "off"
    fg.config.update("traceback_filtering", True)
    assert fg.config.traceback_filtering == "on"
    fg.config.update("traceback_filtering", "OFF")
    assert fg.config.traceback_filtering == "off"
    with pytest.raises(FuncgradValueError, match='"on" or "off"'):
        fg.config.update("traceback_filtering", "quiet")


# --- trace and compile logs ---------------------------------------------------


def _messages(caplog: pytest.LogCaptureFixture, logger: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == logger]


def test_each_trace_is_logged_with_its_reason_and_time(
    caplog: pytest.LogCaptureFixture, no_numba: None
) -> None:
    def scaled(x: Any, n: int) -> Any:
        return x * n

    jf = fg.jit(scaled, static_argnums=1)
    with caplog.at_level(logging.INFO, logger="funcgrad.jit"):
        jf(np.ones(3), 2)
        jf(np.ones(3), 2)  # cached: no trace, no log
        jf(np.ones(4), 2)
        jf(np.ones(4, np.float32), 2)
        jf(np.ones(4, np.float32), 3)

    first, shapes, dtypes, static = _messages(caplog, "funcgrad.jit")
    pattern = r"jit: traced `.*scaled` in \d+\.\d ms; reason: "
    assert all(re.match(pattern, m) for m in (first, shapes, dtypes, static))
    assert first.endswith("reason: first call")
    assert shapes.endswith("new shapes ((4,),) (were ((3,),))")
    assert dtypes.endswith("new dtypes ('float32',) (were ('float64',))")
    assert static.endswith("new static values (3,) (were (2,))")


def test_a_trace_that_changes_shapes_and_dtypes_names_both(
    caplog: pytest.LogCaptureFixture, no_numba: None
) -> None:
    jf = fg.jit(lambda x: x + 1.0)
    with caplog.at_level(logging.INFO, logger="funcgrad.jit"):
        jf(np.ones(3))
        jf(np.ones(2, np.float32))

    assert "new shapes ((2,),) (were ((3,),)); new dtypes" in caplog.messages[-1]


def test_each_compile_is_logged_with_its_time_and_where_its_kernels_came_from(
    caplog: pytest.LogCaptureFixture, tmp_path: Any
) -> None:
    # One fresh kernel: compiled, then found in memory, then (with the
    # process's copy forgotten) in numba's disk cache.
    before = set(_kernels._kernels)
    cache_dir = fg.config.cache_dir
    fg.config.update("cache_dir", str(tmp_path))
    try:
        x = np.full(5, 0.25)
        with caplog.at_level(logging.INFO, logger="funcgrad.backend"):
            fg.jit(lambda x: x * 7.0 - 3.0)(x)
            fg.jit(lambda y: y * 7.0 - 3.0)(x)  # the same program: same kernel
            sources = set(_kernels._kernels) - before
            for source in sources:
                del _kernels._kernels[source]
            fg.jit(lambda z: z * 7.0 - 3.0)(x)
    finally:
        fg.config.update("cache_dir", cache_dir)

    summary = [m for m in _messages(caplog, "funcgrad.backend") if "jit:" in m]
    pattern = (
        r"jit: compiled `.*<lambda>` in \d+\.\d{3} s \(planned in \d+\.\d ms; "
        r"kernels: (\d) compiled, (\d) loaded from the disk cache, (\d) from "
        r"the memory cache\)"
    )
    counts = [tuple(int(n) for n in re.match(pattern, m).groups()) for m in summary]
    assert counts == [(1, 0, 0), (0, 0, 1), (0, 1, 0)]
    kernel_lines = [m for m in _messages(caplog, "funcgrad.backend") if "jit:" not in m]
    assert re.match(r"compiled .* of 2 equations in \d+\.\d{3} s", kernel_lines[0])
    assert re.match(
        r"loaded .* of 2 equations from the disk cache in \d+\.\d{3} s",
        kernel_lines[1],
    )


def test_log_compiles_logs_at_warning_so_no_setup_is_needed(
    caplog: pytest.LogCaptureFixture, no_numba: None
) -> None:
    fg.config.update("log_compiles", True)
    try:
        fg.jit(lambda x: x - 1.0)(np.ones(2))  # no `caplog.at_level`
    finally:
        fg.config.update("log_compiles", False)

    (record,) = [r for r in caplog.records if r.name == "funcgrad.jit"]
    assert record.levelno == logging.WARNING
    assert record.getMessage().endswith("reason: first call")


def test_the_log_compiles_variable_prints_traces_on_stderr() -> None:
    env = dict(os.environ, FUNCGRAD_LOG_COMPILES="1", FUNCGRAD_DISABLE_NUMBA="1")
    code = (
        "import numpy as np, funcgrad as fg\n"
        "def step(x):\n"
        "    return x * 2.0\n"
        "fg.jit(step)(np.ones(2))\n"
    )
    root = os.path.dirname(PACKAGE.rstrip(os.sep))
    run = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert run.returncode == 0, run.stderr
    assert re.search(r"jit: traced `step` in .* reason: first call", run.stderr)


def _retraced(jf: Callable[..., Any], sizes: range) -> list[warnings.WarningMessage]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for n in sizes:
            jf(np.ones(n))
    return [w for w in caught if issubclass(w.category, RetraceWarning)]


def test_a_function_traced_more_than_the_threshold_warns_once(no_numba: None) -> None:
    fg.config.update("retrace_warning_threshold", 3)
    try:

        def shifted(x: Any) -> Any:
            return x + 1.0

        jf = fg.jit(shifted)
        assert _retraced(jf, range(1, 4)) == []  # three traces: at the threshold
        (warning,) = _retraced(jf, range(4, 7))  # the fourth warns, once
        jf.clear_cache()
        assert _retraced(jf, range(1, 4)) == []
        assert len(_retraced(jf, range(4, 5))) == 1
    finally:
        fg.config.update("retrace_warning_threshold", 10)

    message = str(warning.message)
    assert message.startswith("`jit` of `")
    assert "shifted` has traced it 4 times" in message
    assert "more than `retrace_warning_threshold` (3)" in message
    assert message.count("new shapes") == 3  # the last three retraces
    assert "trace 2 for new shapes ((2,),) (were ((1,),));" in message
    assert "trace 4 for new shapes ((4,),) (were ((3,),))." in message
    assert "keep the arguments' shapes stable" in message
    assert warning.filename == HERE  # points at the user's call
    assert isinstance(warning.message, UserWarning)


def test_retraces_for_static_values_suggest_passing_them_as_arrays(
    no_numba: None,
) -> None:
    fg.config.update("retrace_warning_threshold", 2)
    try:
        jf = fg.jit(lambda x, k: x * k, static_argnums=1)
        with pytest.warns(RetraceWarning, match="traced it 3 times") as caught:
            for k in (1.0, 2.0, 3.0):
                jf(np.ones(2), k)
        fg.config.update("retrace_warning_threshold", 0)  # off
        assert _retraced(fg.jit(lambda x: x * 2.0), range(1, 20)) == []
    finally:
        fg.config.update("retrace_warning_threshold", 10)

    message = str(caught[0].message)
    assert "new static values (3.0,) (were (2.0,))" in message
    assert "`static_argnums`" in message
