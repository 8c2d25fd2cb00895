"""Transforms: forward mode, staging, transposition, reverse mode, batching.

Each transform owns the registry of its rule kind; primitives fill them.
"""

from funcgrad.transforms._ad_util import Zero, add_any_p, add_tangents, instantiate
from funcgrad.transforms._batching import (
    BatchTrace,
    BatchTracer,
    batch_rules,
    get_batch_rule,
    vmap_flat,
)
from funcgrad.transforms._jvp import (
    JVPTrace,
    JVPTracer,
    defjvp,
    defjvp_using_output,
    deflinear_jvp,
    jvp_flat,
    jvp_rules,
    zero_tangent_jvp,
)
from funcgrad.transforms._reverse import (
    Linearized,
    Residual,
    linearize_flat,
    strip_level,
    vjp_flat,
)
from funcgrad.transforms._staging import StagingTrace, StagingTracer, stage_flat
from funcgrad.transforms._transpose import (
    UndefinedPrimal,
    backward_pass,
    is_undefined,
    transpose_rules,
)

__all__ = [
    "BatchTrace",
    "BatchTracer",
    "vmap_flat",
    "JVPTrace",
    "JVPTracer",
    "Linearized",
    "Residual",
    "StagingTrace",
    "StagingTracer",
    "UndefinedPrimal",
    "Zero",
    "add_any_p",
    "add_tangents",
    "backward_pass",
    "batch_rules",
    "defjvp",
    "defjvp_using_output",
    "deflinear_jvp",
    "get_batch_rule",
    "instantiate",
    "is_undefined",
    "jvp_flat",
    "jvp_rules",
    "linearize_flat",
    "strip_level",
    "stage_flat",
    "transpose_rules",
    "vjp_flat",
    "zero_tangent_jvp",
]
