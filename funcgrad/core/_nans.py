"""The NaN and infinity trap (`debug_nans`, `debug_infs`).

With either setting on, every primitive run on concrete arrays checks its
results, and the first bad one raises `FuncgradNaNError` naming the
primitive, the pass (forward or backward), the user's line that created the
operation, and a summary of its inputs. Compiled programs check their
outputs and, when one is bad, run again equation by equation (eagerly) to
find the culprit. When both settings are off nothing is checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from funcgrad.config import config
from funcgrad.core._source import current_source, state
from funcgrad.errors import FuncgradNaNError


def bad_kind(values: Sequence[Any]) -> str | None:
    """ "NaN" or "inf" if one of `values` has one the settings trap."""
    for v in values:
        a = np.asarray(v)
        if a.dtype.kind not in "fc":
            continue
        if config.debug_nans and np.isnan(a).any():
            return "NaN"
        if config.debug_infs and np.isinf(a).any():
            return "inf"
    return None


def summary(x: Any) -> str:
    a = np.asarray(x)
    head = f"{a.dtype.name}{list(a.shape)}"
    if a.dtype.kind not in "fciu" or a.size == 0:
        return head
    if a.dtype.kind in "iu":
        return f"{head} min {a.min()} max {a.max()}"
    finite = a[np.isfinite(a)]
    spread = f"min {finite.min():.6g} max {finite.max():.6g}, " if finite.size else ""
    return f"{head} {spread}{int(np.isnan(a).sum())} NaN, {int(np.isinf(a).sum())} inf"


def check(primitive: Any, args: Sequence[Any], outs: Sequence[Any]) -> None:
    """Raise if `outs` hold a value the settings trap."""
    kind = bad_kind(outs)
    if kind is None:
        return
    source = current_source()
    phase = source.phase if source is not None else state.phase
    where = (
        f'  File "{source.file}", line {source.line}, in {source.function}'
        if source is not None
        else "  (no line outside funcgrad)"
    )
    inputs = "\n".join(f"    {summary(a)}" for a in args) or "    (none)"
    already = (
        f"Its inputs already held {kind}: it came in from outside this "
        f"operation (an input of the function, or a value computed where "
        f"nothing is checked).\n"
        if bad_kind(args) == kind
        else ""
    )
    setting = "debug_nans" if kind == "NaN" else "debug_infs"
    raise FuncgradNaNError(
        f"`{primitive.name}` produced {kind} in the {phase} pass, in the "
        f"operation made at\n{where}\nIts inputs:\n{inputs}\n{already}"
        f"(`{setting}` is on; `funcgrad.config.update({setting!r}, False)` "
        f"turns the check off.)"
    )
