"""The compiled backend: fuse elementwise chains into numba kernels and run
the rest through the primitives' implementations (BLAS for products).

Primitives register their scalar lowerings in `elementwise_lowerings`, and
loops and branches their forms (`ScanForm`, `WhileForm`, `SwitchForm`) in
`control_lowerings`;
`compile_program` turns a closed Jaxpr into a callable on numpy arrays.
`stats` counts the kernels compiled in this process.
"""

from funcgrad.backend._kernels import stats
from funcgrad.backend._loops import ScanForm, SwitchForm, WhileForm
from funcgrad.backend._program import CompiledProgram, compile_program
from funcgrad.backend._registry import (
    TRIG_EXACT_BELOW,
    array_lowerings,
    control_lowerings,
    elementwise_lowerings,
    exact_fallbacks,
    fusion_conditions,
    literal,
    reduction_lowerings,
    scalar_type,
    summing_reductions,
    threaded_primitives,
    transcendental,
)

__all__ = [
    "array_lowerings",
    "CompiledProgram",
    "compile_program",
    "control_lowerings",
    "elementwise_lowerings",
    "exact_fallbacks",
    "TRIG_EXACT_BELOW",
    "fusion_conditions",
    "literal",
    "reduction_lowerings",
    "summing_reductions",
    "threaded_primitives",
    "scalar_type",
    "ScanForm",
    "stats",
    "SwitchForm",
    "transcendental",
    "WhileForm",
]
