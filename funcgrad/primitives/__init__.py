"""funcgrad's primitives, one module per family, each primitive's rules
registered beside its definition. `funcgrad.lax` is their public face.
"""

from funcgrad.primitives import _custom, _elementwise, _linalg, _reductions, _shape

# isort: split
from funcgrad.primitives import _control_lowering

__all__ = [
    "_control_lowering",
    "_custom",
    "_elementwise",
    "_linalg",
    "_reductions",
    "_shape",
]
