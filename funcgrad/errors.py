"""The one error hierarchy of funcgrad.

Every error a user can cause derives from `FuncgradError`. Most also derive
from the builtin exception a Python user would expect (`TypeError` for a bad
dtype, `ValueError` for shapes that do not fit), so `except TypeError` keeps
working for code ported from numpy, JAX or autograd. The warnings funcgrad
gives derive from `FuncgradWarning`, a `UserWarning`.
"""

from __future__ import annotations

from typing import Any


class FuncgradError(Exception):
    """Root of every error funcgrad raises on purpose."""


class FuncgradTypeError(FuncgradError, TypeError):
    """A value has a type or dtype that the operation cannot take."""


class FuncgradValueError(FuncgradError, ValueError):
    """A value has a shape or content that the operation cannot take."""


class ShapeError(FuncgradValueError):
    """Shapes do not fit an operation (the numpy broadcasting rules or a
    primitive's own rule)."""


class TreeStructureError(FuncgradValueError):
    """Two pytrees that must share a structure do not."""


class ConcretizationError(FuncgradTypeError):
    """A traced (abstract) value was used where Python needs a concrete one."""


class TracerLeakError(FuncgradError):
    """A traced value escaped the transform that created it."""


class MissingRuleError(FuncgradError, NotImplementedError):
    """A primitive lacks the rule a transform needs (jvp, transpose, batching,
    lowering)."""

    def __init__(self, primitive: str, rule: str, hint: str = "") -> None:
        self.primitive = primitive
        self.rule = rule
        message = (
            f"The primitive `{primitive}` has no {rule} rule, so this "
            f"transformation cannot be applied to it."
        )
        if hint:
            message = f"{message} {hint}"
        super().__init__(message)


class FuncgradNaNError(FuncgradError, FloatingPointError):
    """With `debug_nans` (or `debug_infs`) on, an operation produced a NaN
    (or an infinity); the message names it, the pass and the user's line."""


class FuncgradWarning(UserWarning):
    """Root of the warnings funcgrad gives."""


class RetraceWarning(FuncgradWarning):
    """A `jit` function was traced again and again (more times than the
    `retrace_warning_threshold` setting): each trace reruns the Python
    function and compiles a new program."""


class DerivativeCheckError(FuncgradError, AssertionError):
    """A derivative property check of `funcgrad.testing` failed.

    `properties` names the properties that broke (for example `("vjp",)`),
    `inputs` holds the arguments they broke at when `check_derivatives`
    drew them (else None); the message gives the numbers.
    """

    def __init__(
        self, message: str, properties: tuple[str, ...] = (), inputs: Any = None
    ) -> None:
        super().__init__(message)
        self.properties = tuple(properties)
        self.inputs = inputs
