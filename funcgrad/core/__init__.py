"""The core of funcgrad: abstract values, primitives, traces and the IR.

Nothing here knows about calculus, batching or numpy semantics; the
transforms and primitives are built on top of these pieces.
"""

from funcgrad.core._avals import (
    ShapedArray,
    as_traceable,
    concrete_aval,
    is_inexact,
    is_python_scalar,
    short_dtype_name,
)
from funcgrad.core._ir import (
    ClosedJaxpr,
    Jaxpr,
    JaxprEqn,
    JaxprTypeError,
    Literal,
    Var,
    dce_jaxpr,
    eval_jaxpr,
    pp_jaxpr,
    split_list,
    typecheck_jaxpr,
)
from funcgrad.core._primitive import Primitive
from funcgrad.core._trace import (
    EvalTrace,
    MainTrace,
    Trace,
    Tracer,
    bind,
    find_top_trace,
    full_lower,
    get_aval,
    new_dynamic_main,
    new_main,
    no_transform_active,
    trace_state,
    transform_origin,
)
from funcgrad.core._tree import (
    PyTreeDef,
    tree_flatten,
    tree_leaves,
    tree_map,
    tree_structure,
    tree_unflatten,
)

__all__ = [
    "ClosedJaxpr",
    "EvalTrace",
    "Jaxpr",
    "JaxprEqn",
    "JaxprTypeError",
    "Literal",
    "MainTrace",
    "Primitive",
    "PyTreeDef",
    "ShapedArray",
    "as_traceable",
    "Trace",
    "Tracer",
    "Var",
    "bind",
    "concrete_aval",
    "dce_jaxpr",
    "eval_jaxpr",
    "find_top_trace",
    "full_lower",
    "get_aval",
    "is_inexact",
    "is_python_scalar",
    "new_dynamic_main",
    "new_main",
    "no_transform_active",
    "pp_jaxpr",
    "short_dtype_name",
    "split_list",
    "trace_state",
    "transform_origin",
    "tree_flatten",
    "tree_leaves",
    "tree_map",
    "tree_structure",
    "tree_unflatten",
    "typecheck_jaxpr",
]
