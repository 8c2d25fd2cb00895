"""Clean tracebacks: errors leave funcgrad showing the user's frames only.

An error raised while funcgrad traces or runs a user's function passes
through dozens of funcgrad's own frames (tracers, interpreters, rules). The
public entry points (`grad`, `jit`, `vmap`, `lax.scan`...) are *API
boundaries*: when an exception propagates out of the outermost one, its
traceback is rebuilt without the frames whose code lives in the funcgrad
package, keeping the user's frames (the caller and the functions funcgrad
called back) in order, and a note says how many frames were hidden. With
`funcgrad.config.update("traceback_filtering", "off")` tracebacks are left
as Python made them.

Which frames go:
- every frame of funcgrad's package, including the boundaries themselves;
- except the innermost frame when it is funcgrad's and the error is not a
  `FuncgradError`: funcgrad raises its own errors on purpose and their
  messages say what happened, so the user's line is the most useful last
  frame; any other exception raised in funcgrad's code (an `IndexError`, a
  numpy error from an implementation, an internal bug) keeps the line that
  raised it, which a bug report needs.
Frames of other libraries (numpy, numba) are kept. Only the exception's own
traceback is rebuilt; a chained `__cause__` or `__context__` keeps its own.

The happy path costs a `try` block. The work happens only when an error
propagates: an inner boundary sees an outer one on the call stack and lets
the error pass unchanged, so the frames are walked once, by the outermost.

>>> import funcgrad as fg, funcgrad.numpy as fnp, numpy as np, traceback
>>> def f(x):
...     return x @ fnp.ones((4, 4))
>>> try:
...     fg.jit(f)(np.ones(3))
... except ValueError as err:
...     frames = traceback.extract_tb(err.__traceback__)
>>> [frame.name for frame in frames]
['<module>', 'f']
"""

from __future__ import annotations

import functools
import os
import sys
import types
from collections.abc import Callable
from typing import Any, TypeVar

from funcgrad.config import config
from funcgrad.errors import FuncgradError

F = TypeVar("F", bound=Callable[..., Any])

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep
_NOTE_START = "funcgrad hid "
# From 3.11 a bare `raise` re-raises with the exception's own (rebuilt)
# `__traceback__`; 3.10 restores the traceback it caught.
RERAISE_KEEPS_TRACEBACK = sys.version_info >= (3, 11)

_boundary_codes: set[types.CodeType] = set()


def api_boundary(fun: F) -> F:
    """`fun`, whose exceptions leave with funcgrad's frames filtered out.

    Wrap the functions a user calls (those returned by `grad`, `jit`...);
    a wrapper costs one call and a `try` when nothing is raised.
    """

    @functools.wraps(fun)
    def boundary(*args: Any, **kwargs: Any) -> Any:
        try:
            return fun(*args, **kwargs)
        except Exception as err:
            if filter_exception(err, sys._getframe()) and not RERAISE_KEEPS_TRACEBACK:
                # 3.10: re-raise explicitly, which shows this one frame
                raise err.with_traceback(err.__traceback__)  # noqa: B904
            raise

    return boundary  # type: ignore[return-value]


_boundary_codes.add(api_boundary(lambda: None).__code__)


def register_boundary(fun: Callable[..., Any]) -> None:
    """Count `fun`'s frames as boundaries, for a function that catches with
    `except Exception as err: filter_exception(err, sys._getframe()); raise`
    itself instead of paying for a wrapper (`jit`'s hot path)."""
    _boundary_codes.add(fun.__code__)


def filter_exception(err: BaseException, boundary: types.FrameType) -> bool:
    """Rebuild `err.__traceback__` without funcgrad's frames, unless filtering
    is off or `boundary` (the frame catching `err`) runs under another
    boundary, which will do it. Returns whether the traceback changed."""
    if config.traceback_filtering == "off" or _under_boundary(boundary):
        return False
    entries = []
    tb = err.__traceback__
    while tb is not None:
        entries.append(tb)
        tb = tb.tb_next
    kept = [t for t in entries if not _internal(t.tb_frame)]
    if entries and not isinstance(err, FuncgradError):
        innermost = entries[-1]
        if _internal(innermost.tb_frame):
            kept.append(innermost)
    hidden = len(entries) - len(kept)
    if hidden == 0:
        return False
    rebuilt = None
    for t in reversed(kept):
        rebuilt = types.TracebackType(rebuilt, t.tb_frame, t.tb_lasti, t.tb_lineno)
    err.__traceback__ = rebuilt
    _add_note(err, hidden)
    return True


def _under_boundary(frame: types.FrameType) -> bool:
    caller = frame.f_back
    while caller is not None:
        if caller.f_code in _boundary_codes:
            return True
        caller = caller.f_back
    return False


def _internal(frame: types.FrameType) -> bool:
    return frame.f_code.co_filename.startswith(_PACKAGE)


def _add_note(err: BaseException, hidden: int) -> None:
    notes = getattr(err, "__notes__", None) or []
    if any(isinstance(n, str) and n.startswith(_NOTE_START) for n in notes):
        return  # already filtered once (the error was caught and re-raised)
    note = (
        f"{_NOTE_START}{hidden} of its internal frames from this traceback; "
        f"`funcgrad.config.update('traceback_filtering', 'off')` (or "
        f"FUNCGRAD_TRACEBACK_FILTERING=off) shows them."
    )
    if hasattr(err, "add_note"):
        err.add_note(note)
    else:  # Python 3.10: the attribute PEP 678 reads, shown by pytest
        err.__notes__ = [*notes, note]  # type: ignore[attr-defined]


__all__ = [
    "RERAISE_KEEPS_TRACEBACK",
    "api_boundary",
    "filter_exception",
    "register_boundary",
]
