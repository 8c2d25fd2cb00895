"""funcgrad: composable function transformations for numpy code.

Write a pure function with `funcgrad.numpy`; `grad`, `jvp`, `vjp` and
`linearize` transform it, and `make_jaxpr` shows the program they build.

>>> import funcgrad as fg
>>> import funcgrad.numpy as fnp
>>> float(fg.grad(lambda x: fnp.sum(x ** 2))(3.0))
6.0
"""

from funcgrad import debug, lax, nn, test_util, tree_util
from funcgrad import numpy as numpy  # installs array methods on tracers
from funcgrad._api import (
    grad,
    jvp,
    linearize,
    make_jaxpr,
    residuals,
    stop_gradient,
    value_and_grad,
    vjp,
)
from funcgrad._custom import checkpoint, custom_jvp, custom_vjp
from funcgrad._jacobians import hessian, jacfwd, jacrev
from funcgrad._jit import jit
from funcgrad._vmap import vmap
from funcgrad.config import config
from funcgrad.core import ClosedJaxpr, Jaxpr
from funcgrad.errors import FuncgradError

__version__ = "0.1.0"

__all__ = [
    "ClosedJaxpr",
    "FuncgradError",
    "checkpoint",
    "config",
    "custom_jvp",
    "custom_vjp",
    "debug",
    "Jaxpr",
    "grad",
    "hessian",
    "jacfwd",
    "jacrev",
    "jit",
    "jvp",
    "lax",
    "linearize",
    "make_jaxpr",
    "nn",
    "numpy",
    "residuals",
    "stop_gradient",
    "test_util",
    "tree_util",
    "value_and_grad",
    "vjp",
    "vmap",
]
