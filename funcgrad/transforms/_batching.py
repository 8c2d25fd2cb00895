"""Batching (vmap) rules: the registry only, for now.

`vmap` arrives with a later issue; primitives may already register rules
here, and asking for a missing one names the primitive.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from funcgrad.core import Primitive
from funcgrad.errors import MissingRuleError

BatchRule = Callable[..., tuple[Any, Any]]
batch_rules: dict[Primitive, BatchRule] = {}


def get_batch_rule(primitive: Primitive) -> BatchRule:
    rule = batch_rules.get(primitive)
    if rule is None:
        raise MissingRuleError(primitive.name, "batching (vmap)")
    return rule
