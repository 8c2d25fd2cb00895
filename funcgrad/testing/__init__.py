"""Test your own derivatives the way funcgrad tests its own.

`funcgrad.testing` gives

- hypothesis strategies for inputs to differentiate: `arrays`, `scalars`,
  `shapes`, `broadcastable_shapes`, `broadcastable_arrays`, `params_like`,
  with bounds and a margin kept from kinks (`away_from`);
- `check_grads`, with tolerances that adapt to the dtype and to the scale
  of the function;
- property checks on one input: `check_jvp`, `check_vjp` (both against
  finite differences), `check_dot_product`, `check_jvp_linear`,
  `check_hessian_symmetric`, `check_vmap`, `check_jit`;
- `check_derivatives(f, *strategies)`, which runs them under hypothesis and
  reports the smallest failing input and the properties that broke, and
  `derivative_test`, which makes a test of it;
- hypothesis profiles "funcgrad-ci" and "funcgrad-dev"; the pytest plugin
  (`funcgrad.pytest_plugin`) loads one with `--funcgrad-profile=ci`.

It needs hypothesis (`pip install hypothesis`, or `pip install
"funcgrad[test]"`); `import funcgrad` alone does not.

>>> import funcgrad.numpy as fnp
>>> from funcgrad.testing import arrays, check_derivatives
>>> check_derivatives(fnp.tanh, arrays(shape=(3,)))
"""

try:
    import hypothesis as _hypothesis
except ImportError as err:  # pragma: no cover - exercised without hypothesis
    raise ImportError(
        "`funcgrad.testing` needs hypothesis, which is not installed: "
        'run `pip install hypothesis` (or `pip install "funcgrad[test]"`).'
    ) from err

from funcgrad.errors import DerivativeCheckError
from funcgrad.testing._checks import (
    PROPERTIES,
    check_dot_product,
    check_grads,
    check_hessian_symmetric,
    check_jit,
    check_jvp,
    check_jvp_linear,
    check_vjp,
    check_vmap,
)
from funcgrad.testing._derivatives import (
    batch_of,
    check_derivatives,
    derivative_test,
    run_properties,
)
from funcgrad.testing._settings import PROFILES, register_profiles
from funcgrad.testing._strategies import (
    arrays,
    broadcastable_arrays,
    broadcastable_shapes,
    params_like,
    scalars,
    shapes,
)
from funcgrad.testing._tolerance import default_step

register_profiles()
del _hypothesis

__all__ = [
    "PROFILES",
    "PROPERTIES",
    "DerivativeCheckError",
    "arrays",
    "batch_of",
    "broadcastable_arrays",
    "broadcastable_shapes",
    "check_derivatives",
    "check_dot_product",
    "check_grads",
    "check_hessian_symmetric",
    "check_jit",
    "check_jvp",
    "check_jvp_linear",
    "check_vjp",
    "check_vmap",
    "default_step",
    "derivative_test",
    "params_like",
    "register_profiles",
    "run_properties",
    "scalars",
    "shapes",
]
