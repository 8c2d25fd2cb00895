"""Look inside transformed code while it runs.

`print(fmt, *args, **kwargs)` formats with `str.format` and prints;
`callback(fn, *args, **kwargs)` calls `fn` with the values as numpy arrays
(pytrees keep their structure). Both work under every transform:

- under `jit` they run each time the compiled program reaches them, never
  at trace time, and are never removed as dead code;
- under `grad`, `jvp` and the other derivatives they see primal values, in
  the order the forward program computes them;
- under `vmap` they are called once per batch member, in order, with that
  member's values (not once with the whole batch).

>>> import funcgrad as fg
>>> import funcgrad.numpy as fnp
>>> def f(x):
...     y = fnp.sin(x)
...     fg.debug.print("y = {}", y)
...     return y * 2
>>> _ = fg.jit(f)(0.0)
y = 0.0
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any

from funcgrad.core import as_traceable, tree_flatten, tree_unflatten
from funcgrad.errors import FuncgradTypeError
from funcgrad.primitives._debug import debug_callback

__all__ = ["callback", "print"]


def callback(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Call `fn(*args, **kwargs)` on the values, as numpy arrays, when the
    program runs. Its result is ignored."""
    if not callable(fn):
        raise FuncgradTypeError(
            f"`funcgrad.debug.callback` takes a function first, got "
            f"{type(fn).__name__}."
        )
    leaves, tree = tree_flatten((args, kwargs))
    leaves = [
        as_traceable(x, "An argument of `funcgrad.debug.callback`", "Pass arrays.")
        for x in leaves
    ]

    def run(*values: Any) -> None:
        a, k = tree_unflatten(tree, list(values))
        fn(*a, **k)

    run.__name__ = getattr(fn, "__name__", "callback")
    debug_callback(run, *leaves)


def print(fmt: str, *args: Any, **kwargs: Any) -> None:
    """Print `fmt.format(*args, **kwargs)` when the program runs, with the
    values as numpy arrays."""
    if not isinstance(fmt, str):
        raise FuncgradTypeError(
            f"`funcgrad.debug.print` takes a format string first, got "
            f"{type(fmt).__name__}; write `debug.print('{{}}', x)`."
        )

    def show(*a: Any, **k: Any) -> None:
        builtins.print(fmt.format(*a, **k))

    show.__name__ = "print"
    callback(show, *args, **kwargs)
