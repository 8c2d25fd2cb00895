"""`einsum`: Einstein summation over any number of operands, built from the
shape primitives, `reduce_sum` and pairwise `dot_general` contractions.

A call is planned in three steps. Each operand first loses its repeated
labels (`"ii"` takes a diagonal) and the labels no other operand or the
output needs (they are summed). Then operands are contracted two at a
time, always the pair whose result is smallest: labels both share and
something later needs become batch axes, shared labels nothing later needs
are contracted. Finally the result is transposed into the output's order.
"""

from __future__ import annotations

import builtins
import string
from typing import Any

import numpy as np

from funcgrad.core import get_aval
from funcgrad.errors import FuncgradTypeError, FuncgradValueError, ShapeError
from funcgrad.numpy._arrays import diagonal
from funcgrad.numpy._util import as_operand, is_eager, promote, to_ndarray
from funcgrad.primitives import _reductions as red
from funcgrad.primitives import _shape as shape_ops
from funcgrad.primitives._linalg import dot_general

_LETTERS = set(string.ascii_letters)


def einsum(*operands: Any, optimize: Any = False, **kwargs: Any) -> Any:
    """`numpy.einsum`: subscripts such as `"ij,jk->ik"` (explicit output),
    `"ij,jk"` (implicit: the labels seen once, sorted), `"...ij->...ji"`
    (ellipsis, broadcast), `"ii->i"` (diagonals) over any number of
    operands; also the interleaved form `einsum(x, [0, 1], y, [1, 2])`.
    `optimize` is accepted; contractions always go pairwise, smallest
    intermediate first.

    >>> einsum("ij,j->i", [[1, 2], [3, 4]], [1, 1])
    array([3, 7])
    """
    if kwargs:
        raise FuncgradTypeError(
            f"`einsum`: unsupported keyword arguments {sorted(kwargs)}; only "
            f"`optimize` is accepted."
        )
    subscripts, arrays = _parse_call(operands)
    if is_eager(*arrays):
        return to_ndarray(np.einsum(subscripts, *arrays, optimize=optimize))
    arrays = promote(*arrays) if len(arrays) > 1 else [as_operand(arrays[0])]
    shapes = [get_aval(x).shape for x in arrays]
    inputs, output = _parse_subscripts(subscripts, shapes)
    return _evaluate(list(arrays), inputs, output)


# --- parsing ------------------------------------------------------------------


def _parse_call(operands: tuple) -> tuple[str, list[Any]]:
    if not operands:
        raise FuncgradValueError("`einsum`: no subscripts or operands given.")
    if isinstance(operands[0], str):
        return operands[0], list(operands[1:])
    # Interleaved form: operand, sublist, operand, sublist, ..., [output].
    arrays, subs = list(operands[0::2]), list(operands[1::2])
    out = None
    if len(arrays) > len(subs):
        out = arrays.pop()
    text = ",".join(_sublist(s) for s in subs)
    if out is not None:
        text += "->" + _sublist(out)
    return text, arrays


def _sublist(labels: Any) -> str:
    chars = []
    for label in labels:
        if label is Ellipsis:
            chars.append("...")
        elif isinstance(label, int) and 0 <= label < 52:
            chars.append(string.ascii_letters[label])
        else:
            raise FuncgradValueError(
                f"`einsum`: subscript labels in a sublist must be integers in "
                f"[0, 52) or `...`, got {label!r}."
            )
    return "".join(chars)


def _parse_subscripts(
    subscripts: str, shapes: list[tuple]
) -> tuple[list[list[str]], list[str]]:
    """Labels per operand and for the output, with each ellipsis replaced
    by placeholder labels (right-aligned across operands, as broadcasting)."""
    text = subscripts.replace(" ", "")
    explicit = "->" in text
    lhs, _, rhs = text.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise FuncgradValueError(
            f"`einsum`: subscripts {subscripts!r} name {len(terms)} operands, "
            f"but {len(shapes)} were given."
        )
    for part in terms + [rhs]:
        bad = set(part.replace("...", "")) - _LETTERS
        if bad or part.count("...") > 1 or "." in part.replace("...", ""):
            raise FuncgradValueError(
                f"`einsum`: invalid subscripts {subscripts!r}: labels are "
                f"letters, with at most one `...` per operand."
            )
    rank = builtins.max(
        [
            len(s) - len(t.replace("...", ""))
            for t, s in zip(terms, shapes)
            if "..." in t
        ]
        or [0]
    )
    dots = [f"\0{i}" for i in range(rank)]  # placeholders: no letter clashes
    inputs = []
    for term, shape in zip(terms, shapes):
        head, ell, tail = term.partition("...")
        width = len(shape) - len(head) - len(tail)
        if (ell and width < 0) or (not ell and width != 0):
            raise ShapeError(
                f"`einsum`: operand subscripts {term!r} do not fit an operand "
                f"of shape {shape}."
            )
        inputs.append(list(head) + (dots[rank - width :] if ell else []) + list(tail))
    if explicit:
        head, ell, tail = rhs.partition("...")
        if not ell and rank:
            raise ShapeError(
                f"`einsum`: operands of {subscripts!r} have more dimensions "
                f"than subscripts, but the output has no `...` to keep them."
            )
        output = list(head) + (dots if ell else []) + list(tail)
    else:
        counts: dict[str, int] = {}
        for labels in inputs:
            for label in labels:
                counts[label] = counts.get(label, 0) + 1
        once = sorted(k for k, c in counts.items() if c == 1 and k not in dots)
        output = dots + once
    _check_output(subscripts, inputs, output)
    return inputs, output


def _check_output(subscripts: str, inputs: list, output: list) -> None:
    seen = {label for labels in inputs for label in labels}
    if len(set(output)) != len(output):
        raise FuncgradValueError(
            f"`einsum`: output subscripts of {subscripts!r} repeat a label."
        )
    missing = [label for label in output if label not in seen]
    if missing:
        raise FuncgradValueError(
            f"`einsum`: output label {missing[0]!r} of {subscripts!r} appears "
            f"in no operand."
        )


# --- evaluation ---------------------------------------------------------------


def _evaluate(arrays: list[Any], inputs: list[list[str]], output: list[str]) -> Any:
    sizes = _label_sizes(arrays, inputs)
    operands = []
    for k, (x, labels) in enumerate(zip(arrays, inputs)):
        x, labels = _take_diagonals(x, labels)
        others = {lab for j, ls in enumerate(inputs) if j != k for lab in ls}
        x, labels = _sum_unneeded(x, labels, others | set(output))
        operands.append((x, labels))
    while len(operands) > 1:
        i, j = _cheapest_pair(operands, sizes)
        (x, lx), (y, ly) = operands[i], operands[j]
        rest = [ls for k, (_, ls) in enumerate(operands) if k not in (i, j)]
        needed = set(output).union(*map(set, rest))
        merged = _contract(x, lx, y, ly, needed, sizes)
        operands = [o for k, o in enumerate(operands) if k not in (i, j)] + [merged]
    x, labels = operands[0]
    x, labels = _sum_unneeded(x, labels, set(output))
    x = _broadcast_labels(x, labels, sizes)
    return shape_ops.transpose(x, tuple(labels.index(label) for label in output))


def _label_sizes(arrays: list[Any], inputs: list[list[str]]) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for x, labels in zip(arrays, inputs):
        for label, n in zip(labels, get_aval(x).shape):
            known = sizes.get(label, n)
            if n != known and 1 not in (n, known):
                shown = "..." if label.startswith("\0") else label
                raise ShapeError(
                    f"`einsum`: label {shown!r} has size {n} in one operand and "
                    f"{known} in another."
                )
            sizes[label] = builtins.max(n, known) if 1 in (n, known) else n
    return sizes


def _take_diagonals(x: Any, labels: list[str]) -> tuple[Any, list[str]]:
    labels = list(labels)
    while len(set(labels)) != len(labels):
        label = next(lab for lab in labels if labels.count(lab) > 1)
        i = labels.index(label)
        j = labels.index(label, i + 1)
        x = diagonal(x, 0, i, j)
        labels = [lab for k, lab in enumerate(labels) if k not in (i, j)] + [label]
    return x, labels


def _sum_unneeded(x: Any, labels: list[str], needed: set) -> tuple[Any, list[str]]:
    axes = tuple(k for k, lab in enumerate(labels) if lab not in needed)
    if not axes:
        return x, labels
    return red.reduce_sum(x, axes), [lab for lab in labels if lab in needed]


def _broadcast_labels(x: Any, labels: list[str], sizes: dict[str, int]) -> Any:
    shape = tuple(sizes[lab] for lab in labels)
    if get_aval(x).shape == shape:
        return x
    return shape_ops.broadcast_in_dim(x, shape, tuple(range(len(shape))))


def _cheapest_pair(operands: list, sizes: dict[str, int]) -> tuple[int, int]:
    best, pair = None, (0, 1)
    for i in range(len(operands)):
        for j in range(i + 1, len(operands)):
            labels = set(operands[i][1]) | set(operands[j][1])
            cost = int(np.prod([sizes[lab] for lab in labels], dtype=np.float64))
            if best is None or cost < best:
                best, pair = cost, (i, j)
    return pair


def _contract(
    x: Any, lx: list[str], y: Any, ly: list[str], needed: set, sizes: dict
) -> tuple[Any, list[str]]:
    x, lx = _sum_unneeded(x, lx, needed | set(ly))
    y, ly = _sum_unneeded(y, ly, needed | set(lx))
    shared = [lab for lab in lx if lab in ly]
    x = _broadcast_shared(x, lx, shared, sizes)
    y = _broadcast_shared(y, ly, shared, sizes)
    batch = [lab for lab in shared if lab in needed]
    contract = [lab for lab in shared if lab not in needed]
    dims = (
        (tuple(lx.index(c) for c in contract), tuple(ly.index(c) for c in contract)),
        (tuple(lx.index(b) for b in batch), tuple(ly.index(b) for b in batch)),
    )
    out = dot_general(x, y, dims)
    free_x = [lab for lab in lx if lab not in shared]
    free_y = [lab for lab in ly if lab not in shared]
    return out, batch + free_x + free_y


def _broadcast_shared(x: Any, labels: list[str], shared: list, sizes: dict) -> Any:
    shape = tuple(
        sizes[lab] if lab in shared else n for lab, n in zip(labels, get_aval(x).shape)
    )
    if shape == get_aval(x).shape:
        return x
    return shape_ops.broadcast_in_dim(x, shape, tuple(range(len(shape))))
