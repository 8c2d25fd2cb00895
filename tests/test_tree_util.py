"""Tests for `funcgrad.tree_util` (implemented in `funcgrad.core._tree`)."""

from __future__ import annotations

import collections
import dataclasses
from typing import Any, NamedTuple

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from funcgrad.errors import FuncgradTypeError, FuncgradValueError, TreeStructureError
from funcgrad.tree_util import (
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


class Point(NamedTuple):
    x: Any
    y: Any


class Other(NamedTuple):
    x: Any
    y: Any


class Box:
    """A registered node: `contents` are children, `label` is aux data."""

    def __init__(self, contents: list[Any], label: Any) -> None:
        self.contents = contents
        self.label = label


def _flatten_box(box: Box) -> tuple[list[Any], Any]:
    return box.contents, box.label


def _unflatten_box(label: Any, children: tuple[Any, ...]) -> Box:
    return Box(list(children), label)


register_pytree_node(Box, _flatten_box, _unflatten_box)


@register_pytree_node_class
class Scaled:
    def __init__(self, value: Any, scale: Any) -> None:
        self.value = value
        self.scale = scale

    def tree_flatten(self) -> tuple[tuple[Any], Any]:
        return (self.value,), self.scale

    @classmethod
    def tree_unflatten(cls, scale: Any, children: tuple[Any, ...]) -> Scaled:
        return cls(children[0], scale)


@register_dataclass
@dataclasses.dataclass
class Layer:
    weight: Any
    bias: Any
    name: str = dataclasses.field(default="dense", metadata={"static": True})


@dataclasses.dataclass
class Explicit:
    a: Any
    b: Any
    tag: str


register_dataclass(Explicit, data_fields=["b", "a"], meta_fields=["tag"])


# ----------------------------------------------------------------------------
# Strategies and an independent reference


class Opaque:
    """A leaf that no equality could mistake for another leaf."""

    def __repr__(self) -> str:
        return f"Opaque at {id(self):#x}"


leaf_values = st.one_of(
    st.integers(-5, 5),
    st.text(max_size=2),
    st.builds(Opaque),
    st.builds(np.zeros, st.integers(0, 3)),
)
dict_keys = st.text(alphabet="abcd", max_size=2)


def _containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(children, max_size=3).map(tuple),
        st.lists(children, max_size=3),
        st.dictionaries(dict_keys, children, max_size=3),
        st.dictionaries(dict_keys, children, max_size=3).map(collections.OrderedDict),
        st.dictionaries(dict_keys, children, max_size=2).map(
            lambda d: collections.defaultdict(list, d)
        ),
        st.builds(Point, children, children),
        st.builds(Box, st.lists(children, max_size=2), st.sampled_from("pq")),
    )


trees = st.recursive(leaf_values | st.none(), _containers, max_leaves=12)


def reference_leaves(tree: Any) -> list[Any]:
    """Leaves in JAX order, written independently of the module under test."""
    if tree is None:
        return []
    if isinstance(tree, Box):
        return [leaf for child in tree.contents for leaf in reference_leaves(child)]
    if type(tree) in (dict, collections.defaultdict):
        return [leaf for key in sorted(tree) for leaf in reference_leaves(tree[key])]
    if isinstance(tree, dict):
        return [leaf for child in tree.values() for leaf in reference_leaves(child)]
    if isinstance(tree, (tuple, list)):
        return [leaf for child in tree for leaf in reference_leaves(child)]
    return [tree]


def assert_same_tree(actual: Any, expected: Any) -> None:
    """Same node types all the way down and the very same leaf objects."""
    assert type(actual) is type(expected), (actual, expected)
    if isinstance(expected, Box):
        assert actual.label == expected.label
        assert_same_tree(actual.contents, expected.contents)
    elif isinstance(expected, dict):
        if type(expected) is collections.OrderedDict:
            assert list(actual) == list(expected)
        assert set(actual) == set(expected)
        if isinstance(expected, collections.defaultdict):
            assert actual.default_factory is expected.default_factory
        for key in expected:
            assert_same_tree(actual[key], expected[key])
    elif isinstance(expected, (tuple, list)):
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected):
            assert_same_tree(a, e)
    else:
        assert actual is expected


# ----------------------------------------------------------------------------
# Properties over generated trees


@settings(max_examples=150, deadline=None)
@given(trees)
def test_flatten_then_unflatten_rebuilds_the_tree(tree: Any) -> None:
    leaves, treedef = tree_flatten(tree)

    rebuilt = tree_unflatten(treedef, leaves)

    assert_same_tree(rebuilt, tree)
    assert treedef.num_leaves == len(leaves)


@settings(max_examples=100, deadline=None)
@given(trees)
def test_leaves_come_in_reference_order(tree: Any) -> None:
    leaves = tree_leaves(tree)

    expected = reference_leaves(tree)

    assert len(leaves) == len(expected)
    assert all(a is b for a, b in zip(leaves, expected))


@settings(max_examples=100, deadline=None)
@given(trees)
def test_structure_survives_new_leaves(tree: Any) -> None:
    treedef = tree_structure(tree)

    renumbered = tree_unflatten(treedef, range(treedef.num_leaves))

    assert tree_leaves(renumbered) == list(range(treedef.num_leaves))
    assert tree_structure(renumbered) == treedef
    assert hash(tree_structure(renumbered)) == hash(treedef)
    assert repr(tree_structure(renumbered)) == repr(treedef)


@settings(max_examples=100, deadline=None)
@given(trees)
def test_tree_map_with_a_deeper_tree_passes_whole_subtrees(tree: Any) -> None:
    leaves, treedef = tree_flatten(tree)
    deeper = tree_map(lambda leaf: (leaf, [leaf]), tree)

    pairs = tree_map(lambda leaf, sub: (leaf, sub), tree, deeper)
    subtrees = treedef.flatten_up_to(deeper)

    assert len(subtrees) == len(leaves)
    for leaf, (first, sub), expected_sub in zip(
        leaves, treedef.flatten_up_to(pairs), subtrees
    ):
        assert first is leaf
        assert sub is expected_sub
        assert sub[0] is leaf and sub[1][0] is leaf


@settings(max_examples=60, deadline=None)
@given(trees, trees)
def test_structures_are_equal_exactly_when_they_print_alike(
    first: Any, second: Any
) -> None:
    first_def, second_def = tree_structure(first), tree_structure(second)

    structures_equal = first_def == second_def

    assert structures_equal == (repr(first_def) == repr(second_def))
    if structures_equal:
        assert hash(first_def) == hash(second_def)


# ----------------------------------------------------------------------------
# Node types


def test_dict_children_are_in_sorted_key_order() -> None:
    leaves, treedef = tree_flatten({"b": 1, "a": 2, "c": 3})

    assert leaves == [2, 1, 3]
    assert treedef == tree_structure({"c": 0, "a": 0, "b": 0})
    assert list(tree_unflatten(treedef, leaves)) == ["a", "b", "c"]


def test_unsortable_dict_keys_keep_insertion_order() -> None:
    leaves, treedef = tree_flatten({1: "one", "a": "letter", None: "none"})

    assert leaves == ["one", "letter", "none"]
    assert list(tree_unflatten(treedef, leaves)) == [1, "a", None]


def test_ordered_dict_keeps_insertion_order_and_type() -> None:
    tree = collections.OrderedDict([("b", 1), ("a", 2)])

    leaves, treedef = tree_flatten(tree)

    assert leaves == [1, 2]
    assert treedef != tree_structure(collections.OrderedDict([("a", 1), ("b", 2)]))
    assert treedef != tree_structure({"b": 1, "a": 2})
    assert type(tree_unflatten(treedef, leaves)) is collections.OrderedDict


def test_defaultdict_keeps_its_default_factory() -> None:
    tree = collections.defaultdict(list, {"b": 1, "a": 2})

    leaves, treedef = tree_flatten(tree)
    rebuilt = tree_unflatten(treedef, leaves)

    assert leaves == [2, 1]
    assert rebuilt.default_factory is list
    assert rebuilt["missing"] == []
    assert treedef != tree_structure(collections.defaultdict(set, {"a": 0, "b": 0}))


def test_namedtuples_rebuild_as_their_own_class() -> None:
    treedef = tree_structure(Point(1, (2, 3)))

    rebuilt = tree_unflatten(treedef, ["a", "b", "c"])

    assert type(rebuilt) is Point
    assert rebuilt == Point("a", ("b", "c"))
    assert treedef != tree_structure(Other(1, (2, 3)))
    assert treedef != tree_structure((1, (2, 3)))


def test_none_is_a_node_without_children() -> None:
    leaves, treedef = tree_flatten([None, 1, {"a": None}])

    assert leaves == [1]
    assert tree_leaves(None) == []
    assert tree_structure(None).num_leaves == 0
    assert tree_structure(None).num_nodes == 1
    assert tree_structure(None) != tree_structure(0)
    assert tree_unflatten(treedef, [5]) == [None, 5, {"a": None}]
    assert tree_map(lambda x: x + 1, (None, 1)) == (None, 2)


def test_is_leaf_stops_flattening_where_it_returns_true() -> None:
    tree = [(1, 2), [3, (4, 5)], None]

    leaves = tree_leaves(tree, is_leaf=lambda x: isinstance(x, tuple))
    with_none = tree_leaves(tree, is_leaf=lambda x: x is None)

    assert leaves == [(1, 2), 3, (4, 5)]
    assert with_none == [1, 2, 3, 4, 5, None]


def test_is_leaf_in_tree_map_applies_to_whole_subtrees() -> None:
    tree = [(1, 2), [3, (4, 5)]]

    sizes = tree_map(
        lambda x: len(x) if isinstance(x, tuple) else -x,
        tree,
        is_leaf=lambda x: isinstance(x, tuple),
    )

    assert sizes == [2, [-3, 2]]


def test_arrays_and_other_objects_are_leaves() -> None:
    array, marker = np.arange(3.0), Opaque()

    leaves = tree_leaves({"w": array, "m": marker, "s": 2.5})

    assert leaves[0] is marker
    assert leaves[1] == 2.5
    assert leaves[2] is array


def test_subclasses_of_dict_and_list_are_leaves() -> None:
    class MyList(list):
        pass

    tree = [MyList([1, 2])]

    assert tree_leaves(tree) == [MyList([1, 2])]
    assert tree_structure(tree).num_leaves == 1


# ----------------------------------------------------------------------------
# PyTreeDef


def test_treedef_repr_reads_like_the_tree() -> None:
    assert (
        repr(tree_structure({"a": 1, "b": (2, 3)}))
        == "PyTreeDef({'a': *, 'b': (*, *)})"
    )
    assert repr(tree_structure((1,))) == "PyTreeDef((*,))"
    assert (
        repr(tree_structure([None, Point(1, 2)]))
        == "PyTreeDef([None, Point(x=*, y=*)])"
    )
    assert repr(tree_structure(3.0)) == "PyTreeDef(*)"
    assert repr(tree_structure(Box([1], "p"))) == "PyTreeDef(CustomNode(Box['p'], [*]))"
    assert (
        repr(tree_structure(collections.OrderedDict(b=1)))
        == "PyTreeDef(OrderedDict({'b': *}))"
    )


def test_treedef_counts_children_and_nodes() -> None:
    treedef = tree_structure({"a": 1, "b": (2, None)})

    children = treedef.children()

    assert treedef.num_leaves == 2
    assert treedef.num_nodes == 5
    assert children == [tree_structure(0), tree_structure((0, None))]
    assert tree_structure(0).children() == []


def test_treedef_distinguishes_node_types_and_aux_data() -> None:
    structures = [
        tree_structure(tree)
        for tree in [
            (1, 2),
            [1, 2],
            Point(1, 2),
            {"x": 1, "y": 2},
            {"x": 1, "z": 2},
            Box([1, 2], "p"),
            Box([1, 2], "q"),
            Scaled([1, 2], 3),
            (1, (2,)),
            (1, None),
            (None, 1),
        ]
    ]

    for i, first in enumerate(structures):
        for j, second in enumerate(structures):
            assert (first == second) == (i == j), (first, second)


def test_treedef_works_as_a_cache_key() -> None:
    cache = {tree_structure({"a": [1, 2], "b": None}): "hit"}

    assert cache[tree_structure({"b": None, "a": [np.ones(2), 0.0]})] == "hit"
    assert tree_structure({"a": (1, 2), "b": None}) not in cache


def test_treedef_with_unhashable_aux_data_still_hashes_and_compares() -> None:
    first = tree_structure(Box([1], [1, 2]))
    same = tree_structure(Box([7], [1, 2]))
    different = tree_structure(Box([1], [1, 3]))
    arrays = tree_structure(Box([1], np.array([1.0, 2.0])))
    same_arrays = tree_structure(Box([1], np.array([1.0, 2.0])))
    other_arrays = tree_structure(Box([1], np.array([1.0, 5.0])))

    assert first == same and hash(first) == hash(same)
    assert first != different
    assert arrays == same_arrays and hash(arrays) == hash(same_arrays)
    assert arrays != other_arrays
    assert len({first, same, different}) == 2


def test_unhashable_aux_data_that_compares_equal_hashes_equal() -> None:
    # Equal lists whose reprs differ must still hash alike.
    ints = tree_structure(Box([1], [1, 0.0]))
    floats = tree_structure(Box([1], [1.0, -0.0]))

    assert ints == floats
    assert hash(ints) == hash(floats)


def test_array_aux_data_does_not_hide_a_difference_in_node_types() -> None:
    # The first children compare only elementwise, so `==` on the structure
    # falls back to comparing part by part, which must still see the types.
    aux = np.array([1.0, 2.0])

    boxed = tree_structure((Box([1], aux), Box([2], "p")))
    mixed = tree_structure((Box([1], aux.copy()), Scaled(2, "p")))

    assert boxed != mixed
    assert boxed == tree_structure((Box([0], aux.copy()), Box([0], "p")))


def test_treedef_is_immutable() -> None:
    treedef = tree_structure((1, 2))

    with pytest.raises(FuncgradTypeError, match="immutable"):
        treedef._root = "*"  # type: ignore[misc]
    assert treedef.num_leaves == 2


def test_treedef_unflatten_method_matches_tree_unflatten() -> None:
    treedef = tree_structure([1, {"k": 2}])

    assert treedef.unflatten(iter("ab")) == ["a", {"k": "b"}]


# ----------------------------------------------------------------------------
# Registered types


def test_registered_class_round_trips_and_maps() -> None:
    tree = {"box": Box([1, (2, 3)], "p")}

    leaves, treedef = tree_flatten(tree)
    doubled = tree_map(lambda x: 2 * x, tree)

    assert leaves == [1, 2, 3]
    assert isinstance(doubled["box"], Box)
    assert doubled["box"].contents == [2, (4, 6)]
    assert doubled["box"].label == "p"
    assert tree_unflatten(treedef, leaves)["box"].label == "p"


def test_register_pytree_node_class_uses_its_methods() -> None:
    leaves, treedef = tree_flatten(Scaled([1, 2], scale=10))

    rebuilt = tree_unflatten(treedef, [3, 4])

    assert leaves == [1, 2]
    assert rebuilt.value == [3, 4]
    assert rebuilt.scale == 10
    assert treedef != tree_structure(Scaled([1, 2], scale=11))


def test_registering_a_type_twice_is_an_error() -> None:
    with pytest.raises(FuncgradValueError, match="`Box` twice"):
        register_pytree_node(Box, _flatten_box, _unflatten_box)
    with pytest.raises(FuncgradValueError, match="already a registered"):
        register_pytree_node_class(Scaled)
    with pytest.raises(FuncgradValueError, match="built-in pytree node"):
        register_pytree_node(tuple, _flatten_box, _unflatten_box)


def test_registering_needs_a_class_and_the_methods() -> None:
    class NoMethods:
        pass

    with pytest.raises(FuncgradTypeError, match="registers a class"):
        register_pytree_node("Box", _flatten_box, _unflatten_box)  # type: ignore[arg-type]
    with pytest.raises(
        FuncgradTypeError, match="lacks `tree_flatten`, `tree_unflatten`"
    ):
        register_pytree_node_class(NoMethods)


def test_flatten_function_must_return_a_pair() -> None:
    class Bad:
        pass

    register_pytree_node(Bad, lambda obj: [1, 2, 3], _unflatten_box)

    with pytest.raises(FuncgradTypeError, match="must return a pair"):
        tree_flatten([Bad()])


def test_dataclass_static_fields_are_structure_not_leaves() -> None:
    layer = Layer(weight=np.ones(2), bias=0.5, name="out")

    leaves, treedef = tree_flatten(layer)
    scaled = tree_map(lambda x: x * 2, layer)

    assert leaves[0] is layer.weight and leaves[1] == 0.5
    assert len(leaves) == 2
    assert treedef != tree_structure(Layer(weight=1, bias=2, name="other"))
    assert treedef == tree_structure(Layer(weight=3, bias=4, name="out"))
    assert isinstance(scaled, Layer) and scaled.name == "out" and scaled.bias == 1.0


def test_dataclass_with_explicit_fields_uses_their_order() -> None:
    leaves, treedef = tree_flatten(Explicit(a=1, b=2, tag="t"))

    rebuilt = tree_unflatten(treedef, ["B", "A"])

    assert leaves == [2, 1]
    assert rebuilt == Explicit(a="A", b="B", tag="t")


def test_dataclass_decorator_with_arguments_and_one_list() -> None:
    @register_dataclass(meta_fields=["n"])
    @dataclasses.dataclass
    class Pair:
        left: Any
        right: Any
        n: int

    leaves, treedef = tree_flatten(Pair(1, 2, n=3))

    assert leaves == [1, 2]
    assert tree_unflatten(treedef, [4, 5]) == Pair(4, 5, 3)


def test_dataclass_field_errors_name_the_problem() -> None:
    @dataclasses.dataclass
    class Two:
        a: Any
        b: Any

    class Plain:
        pass

    with pytest.raises(FuncgradValueError, match=r"missing \['b'\]"):
        register_dataclass(Two, data_fields=["a"], meta_fields=[])
    with pytest.raises(FuncgradValueError, match=r"both data and meta"):
        register_dataclass(Two, data_fields=["a", "b"], meta_fields=["a"])
    with pytest.raises(FuncgradTypeError, match="not one"):
        register_dataclass(Plain)


# ----------------------------------------------------------------------------
# tree_map, tree_all, tree_reduce


def test_tree_map_over_several_trees() -> None:
    first = {"a": 1, "b": (2, [3])}
    second = {"a": 10, "b": (20, [30])}

    total = tree_map(lambda x, y, z: x + y + z, first, second, second)

    assert total == {"a": 21, "b": (42, [63])}


def test_tree_map_prefix_leaf_may_be_none_or_a_subtree() -> None:
    result = tree_map(lambda x, y: (x, y), (1, 2), (None, {"k": [3]}))

    assert result == ((1, None), (2, {"k": [3]}))


def test_tree_all_and_tree_reduce() -> None:
    assert tree_all({"a": True, "b": (1, None)})
    assert not tree_all([1, (0,)])
    assert tree_all([None])
    assert tree_reduce(lambda a, b: a * b, [2, (3, {"x": 4})]) == 24
    assert tree_reduce(lambda a, b: a + b, [], initializer=7) == 7
    with pytest.raises(FuncgradValueError, match="initializer"):
        tree_reduce(lambda a, b: a + b, [None])


# ----------------------------------------------------------------------------
# Error messages


def _map_error(tree: Any, other: Any) -> str:
    with pytest.raises(TreeStructureError) as info:
        tree_map(lambda *xs: xs, tree, other)
    return str(info.value)


def test_mismatch_message_names_the_path_and_both_nodes() -> None:
    message = _map_error({"a": 1, "b": (1, (2, 3))}, {"a": 1, "b": (1, [2, 3, 4])})

    assert "`tree_map`" in message
    assert (
        "at ['b'][1]: expected a tuple of 2 children, got a list of 3 children"
        in message
    )


def test_mismatch_message_for_dict_keys() -> None:
    message = _map_error([{"a": 1, "b": 2}], [{"a": 1, "c": 2}])

    assert "at [0]: expected a dict with keys ['a', 'b']" in message
    assert "got a dict with keys ['a', 'c']" in message


def test_mismatch_message_for_leaf_where_a_node_is_expected() -> None:
    message = _map_error(Point(1, (2, 3)), Point(1, 5))

    assert "at .y: expected a tuple of 2 children, got a leaf of type `int`" in message


def test_mismatch_message_at_the_root_and_for_none() -> None:
    root = _map_error((1, 2), [1, 2])
    none = _map_error((1, None), (1, 2))

    assert "at the root: expected a tuple of 2 children, got a list of 2" in root
    assert "at [1]: expected None, got a leaf of type `int`" in none


def test_mismatch_message_for_registered_aux_data() -> None:
    message = _map_error({"box": Box([1], "p")}, {"box": Box([1], "q")})

    assert "at ['box']" in message
    assert "aux data 'p'" in message and "aux data 'q'" in message


def test_mismatch_message_names_dataclass_fields() -> None:
    message = _map_error(Layer((1, 2), 0.0), Layer(1, 0.0))

    assert "at .weight: expected a tuple of 2 children, got a leaf" in message


def test_flatten_up_to_reports_the_mismatch() -> None:
    treedef = tree_structure({"a": [1, 2]})

    with pytest.raises(TreeStructureError, match=r"`PyTreeDef.flatten_up_to`") as info:
        treedef.flatten_up_to({"a": [1]})

    assert "at ['a']: expected a list of 2 children, got a list of 1" in str(info.value)
    assert treedef.flatten_up_to({"a": [(1, 2), None]}) == [(1, 2), None]


def test_unflatten_with_wrong_leaf_count_says_expected_and_got() -> None:
    treedef = tree_structure((1, [2, 3]))

    with pytest.raises(FuncgradValueError, match="expected 3 leaves") as info:
        tree_unflatten(treedef, [1, 2])
    with pytest.raises(FuncgradValueError, match="got 4"):
        treedef.unflatten([1, 2, 3, 4])

    assert "got 2" in str(info.value)
    assert not isinstance(info.value, TreeStructureError)


def test_unflatten_rejects_swapped_arguments() -> None:
    leaves, treedef = tree_flatten([1, 2])

    with pytest.raises(FuncgradTypeError, match="`PyTreeDef` first"):
        tree_unflatten(leaves, treedef)  # type: ignore[arg-type]


def test_public_module_exports_exactly_the_public_names() -> None:
    from funcgrad import tree_util

    assert set(tree_util.__all__) == {
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
    }
    assert all(hasattr(tree_util, name) for name in tree_util.__all__)
    assert isinstance(tree_structure(1), PyTreeDef)
