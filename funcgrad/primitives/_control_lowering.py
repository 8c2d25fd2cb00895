"""The compiled backend's reading of `scan`, `while` and `cond`: each
equation as one of the backend's loop forms, so that compiled programs run
the bodies compiled (one numba function with the loop inside where they are
small) instead of interpreting them step by step.

Kept apart from `funcgrad.primitives._control`, which defines the three
primitives and their other rules; this module only names their parameters.
"""

from __future__ import annotations

from funcgrad.backend import ScanForm, SwitchForm, WhileForm, control_lowerings
from funcgrad.core import JaxprEqn
from funcgrad.primitives._control import cond_p, scan_p, while_p


def scan_lowering(eqn: JaxprEqn) -> ScanForm:
    p = eqn.params
    return ScanForm(
        p["jaxpr"], p["num_consts"], p["num_carry"], p["length"], p["reverse"]
    )


def while_lowering(eqn: JaxprEqn) -> WhileForm:
    p = eqn.params
    return WhileForm(
        p["cond_jaxpr"], p["body_jaxpr"], p["cond_nconsts"], p["body_nconsts"]
    )


def cond_lowering(eqn: JaxprEqn) -> SwitchForm:
    return SwitchForm(tuple(eqn.params["branches"]))


control_lowerings[scan_p] = scan_lowering
control_lowerings[while_p] = while_lowering
control_lowerings[cond_p] = cond_lowering
