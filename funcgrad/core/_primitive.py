"""`Primitive`: a named operation that traces can interpret.

A primitive knows nothing about calculus or batching. It carries its name and
two rules of its own, the implementation on concrete arrays and the abstract
evaluation on avals; the transforms keep their own registries (jvp, transpose,
batching, lowering) keyed by primitive, filled by the primitive's module.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from funcgrad.errors import MissingRuleError


class Primitive:
    """A primitive operation. `bind` hands it to the innermost relevant trace."""

    __slots__ = ("abstract_eval", "effectful", "impl", "multiple_results", "name")

    def __init__(
        self, name: str, *, multiple_results: bool = False, effectful: bool = False
    ) -> None:
        self.name = name
        self.multiple_results = multiple_results
        # An effectful primitive (a print, a callback) is kept even when
        # nothing reads its outputs, and is never folded at trace time.
        self.effectful = effectful
        self.impl: Callable[..., Any] | None = None
        self.abstract_eval: Callable[..., Any] | None = None

    def def_impl(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        self.impl = fn
        return fn

    def def_abstract_eval(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        self.abstract_eval = fn
        return fn

    def bind(self, *args: Any, **params: Any) -> Any:
        from funcgrad.core._trace import bind

        return bind(self, args, params)

    def run_impl(self, *args: Any, **params: Any) -> Any:
        if self.impl is None:
            raise MissingRuleError(self.name, "implementation")
        return self.impl(*args, **params)

    def run_abstract_eval(self, *avals: Any, **params: Any) -> Any:
        if self.abstract_eval is None:
            raise MissingRuleError(self.name, "abstract evaluation")
        return self.abstract_eval(*avals, **params)

    def __repr__(self) -> str:
        return self.name
