"""Explicit and default affinities of ops (spec 1.1 lookup, 7.1 default), shared by all engines."""

from __future__ import annotations

from placement import ops as optable
from placement.ir.core import BlockArgument, Module, Operation, Value


def affinity_text(module: Module, text: str | None) -> str | None:
    """The canonical text of an affinity attribute value, or None if `text` is not one."""
    if text is None:
        return None
    resolved = module.resolve_attribute(text.strip())
    if resolved.startswith(optable.AFFINITY_ATTRIBUTES):
        return resolved
    return None


def own_affinity(module: Module, op: Operation) -> str | None:
    """The affinity an affinity-aware op's own attribute holds (`getAffinityAttr`)."""
    row = optable.info(op)
    if row.affinity_hook is not None:
        return affinity_text(module, row.affinity_hook(op))
    for name in row.affinity_attrs or ():
        found = affinity_text(module, op.attr(name))
        if found is not None:
            return found
    return None


def explicit_affinity(module: Module, op: Operation) -> str | None:
    """`AffinityAttr::lookup`: the op's own affinity, else `stream.affinity` up the parents."""
    for x in op.ancestors():
        if optable.info(x).affinity_aware:
            found = own_affinity(module, x)
            if found is not None:
                return found
        found = affinity_text(module, x.attr("stream.affinity"))
        if found is not None:
            return found
    return None


def default_affinity(module: Module, op: Operation | None) -> str | None:
    """The first `stream.affinity.default` affinity from `op` up to the root."""
    x = op
    while x is not None:
        found = affinity_text(module, x.attr("stream.affinity.default"))
        if found is not None:
            return found
        x = x.parent_op
    return None


def value_scope_op(value: Value) -> Operation | None:
    """The op that owns the block a value is defined in (where its default lookup starts)."""
    if isinstance(value, BlockArgument):
        region = value.owner.parent
        return region.parent if region is not None else None
    owner = value.owner  # type: ignore[attr-defined]
    return owner.parent_op


def requires_affinity(op: Operation) -> bool:
    """`requiresAffinity()` of an affinity-aware op (table row; "tensor" rules resolved)."""
    rule = optable.info(op).requires_affinity
    if rule == "tensor":
        if optable.info(op).role == optable.Role.GLOBAL:
            return global_type(op).startswith("tensor<")
        return bool(op.results) and op.results[0].type.startswith("tensor<")
    return bool(rule)


def global_type(op: Operation) -> str:
    """The declared type of a util.global (the type after its last top-level ':')."""
    return op.syntax_attrs.get("type", "")
