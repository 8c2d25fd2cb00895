"""Pytrees: nested containers taken apart into a flat list of leaves and rebuilt.

A pytree is a value made of container nodes (tuples, lists, dicts, namedtuples,
`None`, and any type registered with `register_pytree_node`) whose remaining
parts are leaves (arrays, scalars, any other object). Every transform flattens
its arguments with `tree_flatten`, works on the flat list of leaves, and
rebuilds its outputs with `tree_unflatten`. The `PyTreeDef` that records the
structure is immutable and hashable, so `jit` can key its cache on it.

This module belongs to the core and imports nothing else of funcgrad except
its errors. The public names are re-exported from `funcgrad.tree_util`.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from typing import Any, Final, TypeVar, overload

import numpy as np

from funcgrad.errors import FuncgradTypeError, FuncgradValueError, TreeStructureError

PyTree = Any
IsLeaf = Callable[[Any], bool] | None
T = TypeVar("T")

# A leaf position in a structure; it is also how a leaf is printed.
_LEAF: Final = "*"

# A structure node is `_LEAF` or a tuple (kind, aux data, child nodes).
_Node = Any

_MAX_REPR: Final = 300


class _NodeKind:
    """How one type of container node is taken apart and rebuilt.

    Kinds compare by identity: one kind object exists per registered type, so
    two structures are equal only if their nodes came from the same type.
    """

    __slots__ = ("name", "node_type")

    def __init__(self, node_type: type, name: str) -> None:
        self.node_type = node_type
        self.name = name

    def flatten(self, node: Any) -> tuple[Iterable[Any], Any]:
        raise NotImplementedError(f"`{type(self).__name__}` lacks `flatten`.")

    def unflatten(self, aux: Any, children: tuple[Any, ...]) -> Any:
        raise NotImplementedError(f"`{type(self).__name__}` lacks `unflatten`.")

    def child_key(self, aux: Any, index: int) -> str:
        return f"[{index}]"

    def describe(self, aux: Any, num_children: int) -> str:
        return f"{_article(self.name)} {self.name} of {num_children} children"

    def render(self, aux: Any, children: list[str]) -> str:
        return f"{self.name}({', '.join(children)})"


class _TupleKind(_NodeKind):
    __slots__ = ()

    def flatten(self, node: tuple[Any, ...]) -> tuple[Iterable[Any], None]:
        return node, None

    def unflatten(self, aux: None, children: tuple[Any, ...]) -> tuple[Any, ...]:
        return children

    def render(self, aux: None, children: list[str]) -> str:
        if len(children) == 1:
            return f"({children[0]},)"
        return f"({', '.join(children)})"


class _ListKind(_NodeKind):
    __slots__ = ()

    def flatten(self, node: list[Any]) -> tuple[Iterable[Any], None]:
        return node, None

    def unflatten(self, aux: None, children: tuple[Any, ...]) -> list[Any]:
        return list(children)

    def render(self, aux: None, children: list[str]) -> str:
        return f"[{', '.join(children)}]"


class _NoneKind(_NodeKind):
    """`None` is a node with no children, so it never counts as a leaf."""

    __slots__ = ()

    def flatten(self, node: None) -> tuple[Iterable[Any], None]:
        return (), None

    def unflatten(self, aux: None, children: tuple[Any, ...]) -> None:
        return None

    def describe(self, aux: None, num_children: int) -> str:
        return "None"

    def render(self, aux: None, children: list[str]) -> str:
        return "None"


class _NamedTupleKind(_NodeKind):
    __slots__ = ("fields",)

    def __init__(self, node_type: type) -> None:
        super().__init__(node_type, node_type.__name__)
        self.fields: tuple[str, ...] = node_type._fields  # type: ignore[attr-defined]

    def flatten(self, node: tuple[Any, ...]) -> tuple[Iterable[Any], None]:
        return node, None

    def unflatten(self, aux: None, children: tuple[Any, ...]) -> Any:
        return self.node_type(*children)

    def child_key(self, aux: None, index: int) -> str:
        return f".{self.fields[index]}"

    def describe(self, aux: None, num_children: int) -> str:
        return f"a `{self.name}` namedtuple of {num_children} children"

    def render(self, aux: None, children: list[str]) -> str:
        parts = [f"{field}={child}" for field, child in zip(self.fields, children)]
        return f"{self.name}({', '.join(parts)})"


class _DictKind(_NodeKind):
    """A dict's children come in sorted key order, as in JAX, so two dicts with
    the same keys share a structure whatever order the keys were inserted in.
    Keys that cannot be sorted together keep their insertion order."""

    __slots__ = ()

    def flatten(self, node: dict[Any, Any]) -> tuple[Iterable[Any], Any]:
        keys = _sorted_keys(node)
        return [node[key] for key in keys], keys

    def unflatten(self, aux: tuple[Any, ...], children: tuple[Any, ...]) -> Any:
        return dict(zip(aux, children))

    def keys(self, aux: Any) -> tuple[Any, ...]:
        return aux

    def child_key(self, aux: Any, index: int) -> str:
        return f"[{self.keys(aux)[index]!r}]"

    def describe(self, aux: Any, num_children: int) -> str:
        keys = list(self.keys(aux))
        return f"{_article(self.name)} {self.name} with keys {keys!r}"

    def render(self, aux: Any, children: list[str]) -> str:
        items = [f"{key!r}: {child}" for key, child in zip(self.keys(aux), children)]
        return f"{{{', '.join(items)}}}"


class _OrderedDictKind(_DictKind):
    __slots__ = ()

    def flatten(self, node: dict[Any, Any]) -> tuple[Iterable[Any], Any]:
        return list(node.values()), tuple(node)

    def unflatten(self, aux: tuple[Any, ...], children: tuple[Any, ...]) -> Any:
        return collections.OrderedDict(zip(aux, children))

    def render(self, aux: Any, children: list[str]) -> str:
        return f"OrderedDict({super().render(aux, children)})"


class _DefaultDictKind(_DictKind):
    """The aux data is (default_factory, sorted keys)."""

    __slots__ = ()

    def flatten(self, node: Any) -> tuple[Iterable[Any], Any]:
        keys = _sorted_keys(node)
        return [node[key] for key in keys], (node.default_factory, keys)

    def unflatten(self, aux: tuple[Any, Any], children: tuple[Any, ...]) -> Any:
        factory, keys = aux
        return collections.defaultdict(factory, zip(keys, children))

    def keys(self, aux: Any) -> tuple[Any, ...]:
        return aux[1]

    def render(self, aux: Any, children: list[str]) -> str:
        return f"defaultdict({aux[0]!r}, {super().render(aux, children)})"


class _RegisteredKind(_NodeKind):
    """A type registered by the user; printed as JAX prints custom nodes."""

    __slots__ = ()

    def child_key(self, aux: Any, index: int) -> str:
        return f"[<flat index {index}>]"

    def describe(self, aux: Any, num_children: int) -> str:
        return (
            f"a `{self.name}` node of {num_children} children "
            f"with aux data {_short(aux)}"
        )

    def render(self, aux: Any, children: list[str]) -> str:
        return f"CustomNode({self.name}[{aux!r}], [{', '.join(children)}])"


class _CustomKind(_RegisteredKind):
    """A type registered with `register_pytree_node` and its two functions."""

    __slots__ = ("flatten_func", "unflatten_func")

    def __init__(
        self,
        node_type: type,
        flatten_func: Callable[[Any], tuple[Iterable[Any], Any]],
        unflatten_func: Callable[[Any, Iterable[Any]], Any],
    ) -> None:
        super().__init__(node_type, node_type.__name__)
        self.flatten_func = flatten_func
        self.unflatten_func = unflatten_func

    def flatten(self, node: Any) -> tuple[Iterable[Any], Any]:
        result = self.flatten_func(node)
        if not isinstance(result, tuple) or len(result) != 2:
            raise FuncgradTypeError(
                f"The flatten function registered for `{self.name}` returned "
                f"{type(result).__name__} {_short(result)}, but a flatten "
                "function must return a pair `(children, aux_data)`."
            )
        return result

    def unflatten(self, aux: Any, children: tuple[Any, ...]) -> Any:
        return self.unflatten_func(aux, children)


class _DataclassKind(_RegisteredKind):
    """A class registered with `register_dataclass`: data fields are children,
    meta fields are aux data and are passed back to the constructor."""

    __slots__ = ("data_fields", "meta_fields")

    def __init__(
        self,
        node_type: type,
        data_fields: tuple[str, ...],
        meta_fields: tuple[str, ...],
    ) -> None:
        super().__init__(node_type, node_type.__name__)
        self.data_fields = data_fields
        self.meta_fields = meta_fields

    def flatten(self, node: Any) -> tuple[Iterable[Any], Any]:
        children = [getattr(node, name) for name in self.data_fields]
        return children, tuple(getattr(node, name) for name in self.meta_fields)

    def unflatten(self, aux: tuple[Any, ...], children: tuple[Any, ...]) -> Any:
        kwargs = dict(zip(self.data_fields, children))
        kwargs.update(zip(self.meta_fields, aux))
        return self.node_type(**kwargs)

    def child_key(self, aux: Any, index: int) -> str:
        return f".{self.data_fields[index]}"


_registry: dict[type, _NodeKind] = {
    tuple: _TupleKind(tuple, "tuple"),
    list: _ListKind(list, "list"),
    dict: _DictKind(dict, "dict"),
    collections.OrderedDict: _OrderedDictKind(collections.OrderedDict, "OrderedDict"),
    collections.defaultdict: _DefaultDictKind(collections.defaultdict, "defaultdict"),
    type(None): _NoneKind(type(None), "None"),
}
_BUILTIN_TYPES: Final = frozenset(_registry)

# Namedtuple classes are found on first sight rather than registered, so they
# live apart from `_registry`, where registering one by hand stays allowed.
_namedtuple_kinds: dict[type, _NodeKind] = {}


def _article(name: str) -> str:
    return "an" if name[:1].lower() in "aeiou" else "a"


def _short(value: Any) -> str:
    text = repr(value)
    if len(text) > _MAX_REPR:
        return f"{text[:_MAX_REPR]}..."
    return text


def _sorted_keys(mapping: dict[Any, Any]) -> tuple[Any, ...]:
    try:
        return tuple(sorted(mapping))
    except TypeError:
        return tuple(mapping)


def _namedtuple_kind(tree: Any) -> _NodeKind | None:
    if not isinstance(tree, tuple) or not hasattr(tree, "_fields"):
        return None
    cls = type(tree)
    kind = _namedtuple_kinds.get(cls)
    if kind is None:
        kind = _namedtuple_kinds[cls] = _NamedTupleKind(cls)
    return kind


def _kind_of(tree: Any) -> _NodeKind | None:
    kind = _registry.get(type(tree))
    if kind is None:
        return _namedtuple_kind(tree)
    return kind


# ----------------------------------------------------------------------------
# Flattening and rebuilding


def _flatten(tree: Any, leaves: list[Any], is_leaf: IsLeaf) -> _Node:
    # The exact-type dict lookup comes first: it settles every common node and
    # every array leaf without an isinstance chain.
    kind = _registry.get(type(tree))
    if kind is None:
        kind = _namedtuple_kind(tree)
    if kind is None or (is_leaf is not None and is_leaf(tree)):
        leaves.append(tree)
        return _LEAF
    children, aux = kind.flatten(tree)
    return (kind, aux, tuple([_flatten(child, leaves, is_leaf) for child in children]))


def _build(node: _Node, leaves: Iterator[Any]) -> Any:
    if node is _LEAF:
        return next(leaves)
    kind, aux, children = node
    return kind.unflatten(aux, tuple([_build(child, leaves) for child in children]))


def _count(node: _Node) -> tuple[int, int]:
    """Return (leaves, nodes) under `node`; nodes include the leaves."""
    if node is _LEAF:
        return 1, 1
    num_leaves, num_nodes = 0, 1
    for child in node[2]:
        child_leaves, child_nodes = _count(child)
        num_leaves += child_leaves
        num_nodes += child_nodes
    return num_leaves, num_nodes


def _render(node: _Node) -> str:
    if node is _LEAF:
        return _LEAF
    kind, aux, children = node
    return kind.render(aux, [_render(child) for child in children])


# ----------------------------------------------------------------------------
# Matching a tree against a structure


class _Mismatch(Exception):
    """Raised while matching a tree against a structure; each level it passes
    through on the way out adds its key, so the path costs nothing unless the
    match fails."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail
        self.reversed_path: list[str] = []

    def where(self) -> str:
        if not self.reversed_path:
            return "at the root"
        return f"at {''.join(reversed(self.reversed_path))}"


def _describe_tree(tree: Any, kind: _NodeKind | None) -> str:
    if kind is None:
        return f"a leaf of type `{type(tree).__name__}`"
    children, aux = kind.flatten(tree)
    return kind.describe(aux, len(list(children)))


def _flatten_up_to(node: _Node, tree: Any, out: list[Any]) -> None:
    if node is _LEAF:
        out.append(tree)
        return
    kind: _NodeKind = node[0]
    aux, children = node[1], node[2]
    actual = _kind_of(tree)
    if actual is not kind:
        expected = kind.describe(aux, len(children))
        raise _Mismatch(f"expected {expected}, got {_describe_tree(tree, actual)}")
    subtrees, actual_aux = kind.flatten(tree)
    subtrees = list(subtrees)
    if len(subtrees) != len(children) or not _aux_equal(aux, actual_aux):
        expected = kind.describe(aux, len(children))
        got = kind.describe(actual_aux, len(subtrees))
        raise _Mismatch(f"expected {expected}, got {got}")
    for index, (child, subtree) in enumerate(zip(children, subtrees)):
        try:
            _flatten_up_to(child, subtree, out)
        except _Mismatch as mismatch:
            mismatch.reversed_path.append(kind.child_key(aux, index))
            raise


# ----------------------------------------------------------------------------
# Equality and hashing with aux data that may not be hashable


def _aux_equal(a: Any, b: Any) -> bool:
    if a is b:
        return True
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return _aux_equal_by_parts(a, b)


def _aux_equal_by_parts(a: Any, b: Any) -> bool:
    """Compare aux data whose `==` gives no plain answer (arrays inside)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(map(_aux_equal, a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_aux_equal(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and np.array_equal(a, b)
    return False


def _nodes_equal(a: _Node, b: _Node) -> bool:
    if a is _LEAF or b is _LEAF:
        return a is b
    return (
        a[0] is b[0]
        and len(a[2]) == len(b[2])
        and _aux_equal(a[1], b[1])
        and all(map(_nodes_equal, a[2], b[2]))
    )


# Unhashable aux data all hash alike. That keeps `hash` consistent with `==`
# (equal structures always hash equal); only the spread of hashes suffers.
_UNHASHABLE_AUX: Final = "<unhashable aux data>"


def _hashable_node(node: _Node) -> Hashable:
    if node is _LEAF:
        return node
    kind, aux, children = node
    try:
        hash(aux)
    except TypeError:
        aux = _UNHASHABLE_AUX
    return (kind, aux, tuple([_hashable_node(child) for child in children]))


# ----------------------------------------------------------------------------
# The structure object


class PyTreeDef:
    """The structure of a pytree: its nodes, their types and aux data, and
    where the leaves go.

    A `PyTreeDef` is immutable and hashable, and two are equal exactly when
    their trees have the same node types, the same aux data (dict keys,
    namedtuple classes, registered aux data) and the same leaf positions, so
    it can key a cache. Get one from `tree_flatten` or `tree_structure`.

    >>> treedef = tree_structure({"a": 1, "b": (2, 3)})
    >>> treedef
    PyTreeDef({'a': *, 'b': (*, *)})
    >>> treedef.num_leaves, treedef.num_nodes
    (3, 5)
    >>> treedef.unflatten([10, 20, 30])
    {'a': 10, 'b': (20, 30)}
    """

    __slots__ = ("_hash", "_num_leaves", "_num_nodes", "_root")
    _root: _Node
    _num_leaves: int | None
    _num_nodes: int | None
    _hash: int | None

    def __init__(self, root: _Node, num_leaves: int | None = None) -> None:
        """Wrap a structure node; use `tree_flatten` rather than this."""
        object.__setattr__(self, "_root", root)
        object.__setattr__(self, "_num_leaves", num_leaves)
        object.__setattr__(self, "_num_nodes", None)
        object.__setattr__(self, "_hash", None)

    def __setattr__(self, name: str, value: Any) -> None:
        raise FuncgradTypeError(
            f"`PyTreeDef` is immutable, so its attribute `{name}` cannot be set. "
            "Build a new structure with `tree_structure` instead."
        )

    def __delattr__(self, name: str) -> None:
        raise FuncgradTypeError(
            f"`PyTreeDef` is immutable, so its attribute `{name}` cannot be deleted."
        )

    def _fill_counts(self) -> tuple[int, int]:
        num_leaves, num_nodes = _count(self._root)
        object.__setattr__(self, "_num_leaves", num_leaves)
        object.__setattr__(self, "_num_nodes", num_nodes)
        return num_leaves, num_nodes

    @property
    def num_leaves(self) -> int:
        """The number of leaves in the tree."""
        if self._num_leaves is None:
            return self._fill_counts()[0]
        return self._num_leaves

    @property
    def num_nodes(self) -> int:
        """The number of nodes in the tree, counting leaves and `None`s."""
        if self._num_nodes is None:
            return self._fill_counts()[1]
        return self._num_nodes

    def children(self) -> list[PyTreeDef]:
        """Return the structures of the root's children ([] for a leaf).

        >>> tree_structure((1, [2, 3])).children()
        [PyTreeDef(*), PyTreeDef([*, *])]
        """
        if self._root is _LEAF:
            return []
        return [PyTreeDef(child) for child in self._root[2]]

    def unflatten(self, leaves: Iterable[Any]) -> PyTree:
        """Build a tree of this structure from `leaves`, taken in order.

        Raises:
            FuncgradValueError: if `leaves` holds more or fewer than
                `num_leaves` values.
        """
        return _unflatten(self, leaves, "PyTreeDef.unflatten")

    def flatten_up_to(self, tree: PyTree) -> list[Any]:
        """Flatten `tree` only as deep as this structure goes.

        Each leaf position of this structure takes whatever `tree` holds there,
        a leaf or a whole subtree, so `tree` may be deeper than the structure.

        Raises:
            TreeStructureError: if `tree` differs from this structure above
                its leaves; the message names the path where it differs.

        >>> tree_structure((1, 2)).flatten_up_to(([3, 4], {"a": 5}))
        [[3, 4], {'a': 5}]
        """
        try:
            return _match(self, tree)
        except _Mismatch as mismatch:
            raise TreeStructureError(
                f"`PyTreeDef.flatten_up_to` got a tree that does not match "
                f"{_short(self)} {mismatch.where()}: {mismatch.detail}. The tree "
                "must have this structure, or one that extends it at the leaves "
                "(`*`)."
            ) from None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PyTreeDef):
            return NotImplemented
        if self is other:
            return True
        try:
            return bool(self._root == other._root)
        except (TypeError, ValueError):
            return _nodes_equal(self._root, other._root)

    def __hash__(self) -> int:
        if self._hash is not None:
            return self._hash
        try:
            value = hash(self._root)
        except TypeError:
            value = hash(_hashable_node(self._root))
        object.__setattr__(self, "_hash", value)
        return value

    def __repr__(self) -> str:
        return f"PyTreeDef({_render(self._root)})"


def _match(treedef: PyTreeDef, tree: PyTree) -> list[Any]:
    out: list[Any] = []
    _flatten_up_to(treedef._root, tree, out)
    return out


def _unflatten(treedef: PyTreeDef, leaves: Iterable[Any], api: str) -> PyTree:
    leaves = list(leaves)
    if len(leaves) != treedef.num_leaves:
        raise FuncgradValueError(
            f"`{api}` expected {treedef.num_leaves} leaves for {_short(treedef)}, "
            f"got {len(leaves)}. Pass exactly one leaf per `*` in the structure."
        )
    return _build(treedef._root, iter(leaves))


# ----------------------------------------------------------------------------
# The public functions


def tree_flatten(tree: PyTree, is_leaf: IsLeaf = None) -> tuple[list[Any], PyTreeDef]:
    """Take `tree` apart into its leaves and its structure.

    Args:
        tree: any pytree.
        is_leaf: an optional predicate; a subtree for which it returns True is
            kept whole as a leaf instead of being flattened.

    Returns:
        The leaves in order (dicts by sorted key) and the `PyTreeDef`.

    >>> leaves, treedef = tree_flatten({"b": [1, None], "a": 2})
    >>> leaves
    [2, 1]
    >>> treedef
    PyTreeDef({'a': *, 'b': [*, None]})
    """
    leaves: list[Any] = []
    root = _flatten(tree, leaves, is_leaf)
    return leaves, PyTreeDef(root, len(leaves))


def tree_unflatten(treedef: PyTreeDef, leaves: Iterable[Any]) -> PyTree:
    """Build a tree of structure `treedef` from `leaves`, the inverse of
    `tree_flatten`.

    Raises:
        FuncgradTypeError: if `treedef` is not a `PyTreeDef`.
        FuncgradValueError: if the number of leaves is not `treedef.num_leaves`.

    >>> leaves, treedef = tree_flatten((1, [2]))
    >>> tree_unflatten(treedef, [x * 10 for x in leaves])
    (10, [20])
    """
    if not isinstance(treedef, PyTreeDef):
        raise FuncgradTypeError(
            "`tree_unflatten` takes a `PyTreeDef` first and the leaves second, "
            f"but its first argument is of type `{type(treedef).__name__}`. "
            "Get a `PyTreeDef` from `tree_flatten` or `tree_structure`."
        )
    return _unflatten(treedef, leaves, "tree_unflatten")


def tree_leaves(tree: PyTree, is_leaf: IsLeaf = None) -> list[Any]:
    """Return the leaves of `tree` in flattening order.

    >>> tree_leaves([1, (2, None), {"x": 3}])
    [1, 2, 3]
    """
    return tree_flatten(tree, is_leaf)[0]


def tree_structure(tree: PyTree, is_leaf: IsLeaf = None) -> PyTreeDef:
    """Return the `PyTreeDef` of `tree`.

    >>> tree_structure((1, {"a": 2}))
    PyTreeDef((*, {'a': *}))
    """
    return tree_flatten(tree, is_leaf)[1]


def tree_map(
    f: Callable[..., Any], tree: PyTree, *rest: PyTree, is_leaf: IsLeaf = None
) -> PyTree:
    """Apply `f` to the leaves of `tree` (and of `rest`), keeping the structure.

    Each tree in `rest` must have the structure of `tree`, or extend it: where
    `tree` has a leaf, a tree in `rest` may hold a whole subtree, which is
    passed to `f` as it is (`tree` is then a prefix of it).

    Args:
        f: called as `f(leaf, *leaves_of_rest)` once per leaf of `tree`.
        tree: the tree whose structure the result takes.
        *rest: more trees, matched against `tree` position by position.
        is_leaf: an optional predicate marking subtrees of `tree` to treat as
            leaves.

    Raises:
        TreeStructureError: if a tree in `rest` does not match `tree`; the
            message names the path where they differ.

    >>> tree_map(lambda x, y: x + y, {"a": 1, "b": 2}, {"a": 10, "b": 20})
    {'a': 11, 'b': 22}
    >>> tree_map(lambda x, y: (x, y), (1, 2), ([3, 4], 5))
    ((1, [3, 4]), (2, 5))
    """
    leaves, treedef = tree_flatten(tree, is_leaf)
    all_leaves = [leaves]
    for position, other in enumerate(rest):
        try:
            all_leaves.append(_match(treedef, other))
        except _Mismatch as mismatch:
            raise TreeStructureError(
                f"`tree_map` got a tree in `rest` (position {position}) that does "
                f"not match the structure of `tree`, {_short(treedef)}, "
                f"{mismatch.where()}: {mismatch.detail}. Each tree in `rest` must "
                "have the structure of `tree`, or one that extends it at its "
                "leaves."
            ) from None
    return treedef.unflatten(f(*xs) for xs in zip(*all_leaves))


def tree_all(tree: PyTree, is_leaf: IsLeaf = None) -> bool:
    """Return True if every leaf of `tree` is truthy (True for no leaves).

    >>> tree_all([True, (1, None)]), tree_all({"a": 0})
    (True, False)
    """
    return all(tree_leaves(tree, is_leaf))


_NO_INITIALIZER: Final = object()


def tree_reduce(
    function: Callable[[Any, Any], Any],
    tree: PyTree,
    initializer: Any = _NO_INITIALIZER,
    is_leaf: IsLeaf = None,
) -> Any:
    """Fold `function` over the leaves of `tree`, left to right.

    Raises:
        FuncgradValueError: if `tree` has no leaves and no `initializer`.

    >>> tree_reduce(lambda a, b: a + b, {"a": 1, "b": (2, 3)})
    6
    >>> tree_reduce(max, [], initializer=0)
    0
    """
    leaves = tree_leaves(tree, is_leaf)
    if initializer is not _NO_INITIALIZER:
        return functools.reduce(function, leaves, initializer)
    if not leaves:
        raise FuncgradValueError(
            f"`tree_reduce` got a tree with no leaves, {_short(tree)}, and no "
            "`initializer`, so there is nothing to return. Pass `initializer`."
        )
    return functools.reduce(function, leaves)


# ----------------------------------------------------------------------------
# Registering node types


def _register(kind: _NodeKind, api: str) -> None:
    node_type = kind.node_type
    if node_type in _BUILTIN_TYPES:
        raise FuncgradValueError(
            f"`{api}` cannot register `{node_type.__name__}`: it is a built-in "
            "pytree node and its rules cannot be replaced."
        )
    if node_type in _registry:
        raise FuncgradValueError(
            f"`{api}` cannot register `{node_type.__qualname__}` twice: it is "
            "already a registered pytree node. Register each type once, at "
            "import time."
        )
    _registry[node_type] = kind
    _namedtuple_kinds.pop(node_type, None)


def _check_type(node_type: Any, api: str) -> None:
    if not isinstance(node_type, type):
        raise FuncgradTypeError(
            f"`{api}` registers a class, but got {_short(node_type)} of type "
            f"`{type(node_type).__name__}`."
        )


def register_pytree_node(
    nodetype: type,
    flatten_func: Callable[[Any], tuple[Iterable[Any], Any]],
    unflatten_func: Callable[[Any, Iterable[Any]], Any],
) -> None:
    """Make instances of `nodetype` pytree nodes rather than leaves.

    Args:
        nodetype: the class; only exact instances are nodes, not subclasses.
        flatten_func: `flatten_func(obj) -> (children, aux_data)`; `children`
            is an iterable of subtrees, `aux_data` whatever else is needed to
            rebuild `obj`. Make `aux_data` hashable and comparable with `==`,
            since it is part of the structure.
        unflatten_func: `unflatten_func(aux_data, children) -> obj`, where
            `children` is a tuple.

    Raises:
        FuncgradValueError: if `nodetype` is already registered or built in.

    >>> class Pair:
    ...     def __init__(self, first, second):
    ...         self.first, self.second = first, second
    >>> register_pytree_node(
    ...     Pair, lambda p: ((p.first, p.second), None), lambda _, c: Pair(*c)
    ... )
    >>> tree_leaves([Pair(1, 2), 3])
    [1, 2, 3]
    """
    _check_type(nodetype, "register_pytree_node")
    if not callable(flatten_func) or not callable(unflatten_func):
        raise FuncgradTypeError(
            "`register_pytree_node` needs a callable `flatten_func` and a "
            f"callable `unflatten_func` for `{nodetype.__name__}`."
        )
    _register(
        _CustomKind(nodetype, flatten_func, unflatten_func), "register_pytree_node"
    )


def register_pytree_node_class(cls: type[T]) -> type[T]:
    """Class decorator: register `cls` with its own `tree_flatten` method and
    its `tree_unflatten(aux_data, children)` classmethod.

    Raises:
        FuncgradTypeError: if `cls` lacks either method.
        FuncgradValueError: if `cls` is already registered.

    >>> @register_pytree_node_class
    ... class Scaled:
    ...     def __init__(self, value, scale):
    ...         self.value, self.scale = value, scale
    ...     def tree_flatten(self):
    ...         return (self.value,), self.scale
    ...     @classmethod
    ...     def tree_unflatten(cls, scale, children):
    ...         return cls(children[0], scale)
    >>> tree_structure(Scaled(1.0, scale=2))
    PyTreeDef(CustomNode(Scaled[2], [*]))
    """
    _check_type(cls, "register_pytree_node_class")
    missing = [m for m in ("tree_flatten", "tree_unflatten") if not hasattr(cls, m)]
    if missing:
        raise FuncgradTypeError(
            f"`register_pytree_node_class` needs `{cls.__name__}` to define "
            f"`tree_flatten` and the classmethod `tree_unflatten`, but it lacks "
            f"{', '.join(f'`{m}`' for m in missing)}."
        )
    methods: Any = cls
    kind = _CustomKind(cls, methods.tree_flatten, methods.tree_unflatten)
    _register(kind, "register_pytree_node_class")
    return cls


@overload
def register_dataclass(
    cls: type[T],
    *,
    data_fields: Sequence[str] | None = None,
    meta_fields: Sequence[str] | None = None,
) -> type[T]: ...


@overload
def register_dataclass(
    cls: None = None,
    *,
    data_fields: Sequence[str] | None = None,
    meta_fields: Sequence[str] | None = None,
) -> Callable[[type[T]], type[T]]: ...


def register_dataclass(
    cls: type[T] | None = None,
    *,
    data_fields: Sequence[str] | None = None,
    meta_fields: Sequence[str] | None = None,
) -> type[T] | Callable[[type[T]], type[T]]:
    """Register a class whose fields are its children (data fields) or part of
    its structure (meta fields); usable bare or with arguments as a decorator.

    With neither list given, `cls` must be a dataclass: its `init` fields are
    data fields, except those declared with `metadata={"static": True}`, which
    are meta fields. Given one list, the other is the rest of the `init`
    fields. Meta values should be hashable. Rebuilding calls
    `cls(**fields)`, so `__post_init__` runs again.

    Raises:
        FuncgradTypeError: if the fields cannot be determined.
        FuncgradValueError: if the fields overlap, do not cover the
            dataclass's `init` fields, or `cls` is already registered.

    >>> @register_dataclass
    ... @dataclasses.dataclass
    ... class Layer:
    ...     weight: float
    ...     name: str = dataclasses.field(default="dense", metadata={"static": True})
    >>> tree_flatten(Layer(0.5))
    ([0.5], PyTreeDef(CustomNode(Layer[('dense',)], [*])))
    """
    if cls is None:
        return functools.partial(
            register_dataclass, data_fields=data_fields, meta_fields=meta_fields
        )
    _check_type(cls, "register_dataclass")
    data, meta = _dataclass_fields(cls, data_fields, meta_fields)
    _register(_DataclassKind(cls, data, meta), "register_dataclass")
    return cls


def _dataclass_fields(
    cls: type, data_fields: Sequence[str] | None, meta_fields: Sequence[str] | None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if data_fields is None or meta_fields is None:
        data_fields, meta_fields = _infer_fields(cls, data_fields, meta_fields)
    data, meta = _field_names(data_fields), _field_names(meta_fields)
    overlap = sorted(set(data) & set(meta))
    if overlap:
        raise FuncgradValueError(
            f"`register_dataclass` got fields {overlap} of `{cls.__name__}` as "
            "both data and meta fields; each field must be one or the other."
        )
    if dataclasses.is_dataclass(cls):
        _check_covers_init_fields(cls, data + meta)
    return data, meta


def _field_names(names: Sequence[str]) -> tuple[str, ...]:
    if isinstance(names, str) or not all(isinstance(n, str) for n in names):
        raise FuncgradTypeError(
            "`register_dataclass` takes `data_fields` and `meta_fields` as "
            f"sequences of field names, got {_short(names)}."
        )
    return tuple(names)


def _init_fields(cls: type) -> list[dataclasses.Field[Any]]:
    return [field for field in dataclasses.fields(cls) if field.init]


def _infer_fields(
    cls: type, data_fields: Sequence[str] | None, meta_fields: Sequence[str] | None
) -> tuple[Sequence[str], Sequence[str]]:
    if not dataclasses.is_dataclass(cls):
        raise FuncgradTypeError(
            f"`register_dataclass` can infer the fields only of a dataclass, and "
            f"`{cls.__name__}` is not one. Decorate it with `@dataclasses."
            "dataclass` first, or pass both `data_fields` and `meta_fields`."
        )
    fields = _init_fields(cls)
    if data_fields is not None:
        taken = set(data_fields)
        return data_fields, [f.name for f in fields if f.name not in taken]
    if meta_fields is None:
        meta_fields = [f.name for f in fields if f.metadata.get("static", False)]
    taken = set(meta_fields)
    return [f.name for f in fields if f.name not in taken], meta_fields


def _check_covers_init_fields(cls: type, names: tuple[str, ...]) -> None:
    expected = {field.name for field in _init_fields(cls)}
    missing, unknown = sorted(expected - set(names)), sorted(set(names) - expected)
    if missing or unknown:
        raise FuncgradValueError(
            f"`register_dataclass` needs the data and meta fields of "
            f"`{cls.__name__}` to be exactly its `init` fields {sorted(expected)}; "
            f"missing {missing}, unknown {unknown}."
        )
