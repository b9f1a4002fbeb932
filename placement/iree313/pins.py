"""IREE 3.13's precomputed pinned values (PR #20945, spec 10.1 #2).

From every pinning op, in module walk order: the transitive uses of each affinity-typed result
and the defining ops of each affinity-typed operand, ties followed, are marked as pinned by that
op. A walk stops (skip) at a value whose type carries no affinity, at another pinning op, and at
a value this op already pinned. Skips are honoured by both walks in 3.13, and uses are visited
in use-list order (the reverse of source order), so which uses a value's walk expands is
exactly the set the C++ expands.
"""

from __future__ import annotations

from collections.abc import Callable

from placement import ops as optable
from placement.ir.core import Module, Operation, OpResult, Use, Value
from placement.ir.explorer import Explorer, Walk, is_affinity_typed
from placement.ops import Role

_Mark = Callable[[Value, Operation], Walk]


def pinned_values(module: Module, explorer: Explorer) -> dict[int, list[Operation]]:
    """value id -> the pinning ops that pin it (in pinning order); the 3.13 rows must be set."""
    pinned: dict[int, list[Operation]] = {}

    def mark(value: Value, op: Operation) -> Walk:
        ops = pinned.setdefault(id(value), [])
        if op in ops:
            return Walk.SKIP
        ops.append(op)
        return Walk.ADVANCE

    for top in module.top_level_ops():
        if optable.info(top).role != Role.FUNCTION:
            continue
        for op in top.walk():
            row = optable.info(op)
            if not (row.affinity_aware and row.pins):
                continue
            for result in op.results:
                if is_affinity_typed(result):
                    explorer.walk_transitive_uses(result, _on_use(op, mark), follow_ties=True)
            for operand in op.operands:
                if is_affinity_typed(operand):
                    explorer.walk_defining_ops(operand, _on_def(op, mark), follow_ties=True)
    return pinned


def _stops(value: Value, op: Operation) -> bool:
    """A pin walk stops at a type without affinity and at another pinning op."""
    row = optable.info(op)
    return not is_affinity_typed(value) or (row.affinity_aware and row.pins)


def _on_use(pinner: Operation, mark: _Mark) -> Callable[[Use], Walk]:
    def fn(use: Use) -> Walk:
        value = use.owner.operands[use.index]
        return Walk.SKIP if _stops(value, use.owner) else mark(value, pinner)
    return fn


def _on_def(pinner: Operation, mark: _Mark) -> Callable[[OpResult], Walk]:
    def fn(r: OpResult) -> Walk:
        if r.owner is pinner:
            return Walk.ADVANCE
        return Walk.SKIP if _stops(r, r.owner) else mark(r, pinner)
    return fn
