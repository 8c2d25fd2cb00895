"""Where each equation came from: the user's file and line, and whether it
belongs to the forward or the backward pass.

An equation's source is the first frame outside the funcgrad package when
it was recorded. Equations made while another program is replayed (a
staged body evaluated again, a linear program transposed) take the source
of the equation being replayed instead, so the backward equations of
`y = x / d` point at the user's line of the division, marked "backward".
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


class SourceInfo:
    """A user's line: `file:line (function)`, in the forward or backward pass."""

    __slots__ = ("_backward", "file", "function", "line", "phase")

    def __init__(self, file: str, line: int, function: str, phase: str = "forward"):
        self.file = file
        self.line = line
        self.function = function
        self.phase = phase
        self._backward: SourceInfo | None = None

    @property
    def backward(self) -> SourceInfo:
        """The same line, in the backward pass."""
        if self.phase == "backward":
            return self
        if self._backward is None:
            self._backward = SourceInfo(self.file, self.line, self.function, "backward")
        return self._backward

    def short(self) -> str:
        text = f"{os.path.basename(self.file)}:{self.line} ({self.function})"
        return text if self.phase == "forward" else f"{text} [{self.phase}]"

    def __str__(self) -> str:
        text = f"{self.file}:{self.line} in {self.function}"
        return text if self.phase == "forward" else f"{text} ({self.phase} pass)"

    def __repr__(self) -> str:
        return f"SourceInfo({self.short()})"


class _State:
    __slots__ = ("override", "phase")

    def __init__(self) -> None:
        self.override: SourceInfo | None = None
        self.phase = "forward"


state = _State()


_internal: dict[Any, bool] = {}  # code object -> defined inside funcgrad


def user_frame() -> SourceInfo | None:
    """The innermost frame of the call stack outside funcgrad."""
    frame = sys._getframe(1)
    internal = _internal
    while frame is not None:
        code = frame.f_code
        inside = internal.get(code)
        if inside is None:
            inside = internal[code] = code.co_filename.startswith(_PACKAGE)
        if not inside:
            return SourceInfo(code.co_filename, frame.f_lineno, code.co_name)
        frame = frame.f_back
    return None


def current_source() -> SourceInfo | None:
    """The source an equation recorded now should carry."""
    override = state.override
    if override is not None:
        return override
    found = user_frame()
    if found is not None and state.phase != "forward":
        found.phase = state.phase
    return found


@contextmanager
def in_phase(phase: str) -> Iterator[None]:
    """Mark what is recorded inside, without a replayed source, as `phase`."""
    previous = state.phase
    state.phase = phase
    try:
        yield
    finally:
        state.phase = previous
