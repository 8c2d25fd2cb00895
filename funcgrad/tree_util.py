"""Pytree utilities: flatten nested containers to leaves and rebuild them.

The public face of `funcgrad.core._tree`, with the names and meanings of
`jax.tree_util`. Tuples, lists, dicts, `OrderedDict`, `defaultdict`,
namedtuples and `None` are nodes; register more with `register_pytree_node`,
`register_pytree_node_class` or `register_dataclass`.
"""

from funcgrad.core._tree import (
    PyTreeDef,
    register_dataclass,
    register_pytree_node,
    register_pytree_node_class,
    tree_all,
    tree_flatten,
    tree_leaves,
    tree_map,
    tree_reduce,
    tree_structure,
    tree_unflatten,
)

__all__ = [
    "PyTreeDef",
    "register_dataclass",
    "register_pytree_node",
    "register_pytree_node_class",
    "tree_all",
    "tree_flatten",
    "tree_leaves",
    "tree_map",
    "tree_reduce",
    "tree_structure",
    "tree_unflatten",
]
