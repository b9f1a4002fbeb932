"""What IREE 3.13's `--iree-stream-annotate-affinities` prints (spec 10.1 #1, #2, #9, #15).

Against the seed (`placement.annotate`): the operand/result lists consult the precomputed
pinned values before the producer element; execution and global lookups without an element
fall back to `stream.affinity.default`; every op with affinity-typed operands or results also
gets the `.usage` lists: the sorted union of the valid producer and consumer sets and the
pinned affinities, the default if that is empty, `[]` if there is none.
"""

from __future__ import annotations

from placement import ops as optable
from placement.affinity import requires_affinity, value_scope_op
from placement.annotate import OpAnnotation, StateLookups, annotation_sites
from placement.ir.core import BlockArgument, Module, Operation, Value
from placement.ir.explorer import is_affinity_typed
from placement.ops import Role
from placement.solution import Kind, Solution


def _order(devices: set[str] | frozenset[str]) -> list[str]:
    return sorted(devices, key=lambda s: s.encode())


class Lookups(StateLookups):
    """The 3.13 `tryLookup*` queries over one solution (None = the lookup fails)."""

    def execution(self, op: Operation) -> list[str] | None:
        """tryLookupExecutionAffinity: no element -> the default (10.1 #9)."""
        return self._state(self.solution.get(Kind.O, op), op, True)

    def global_(self, op: Operation) -> list[str] | None:
        """tryLookupGlobalAffinity: no element -> the default (10.1 #9)."""
        return self._state(self.solution.get(Kind.G, op), op, True)

    def pinned(self, value: Value) -> list[str] | None:
        """tryLookupPinnedAffinities: the union of the pinning ops' execution affinities."""
        ops = self.solution.pinned.get(id(value))
        if not ops:
            return None
        found: set[str] = set()
        for op in ops:
            affinities = self.execution(op)
            if affinities is None:
                return None
            found.update(affinities)
        return _order(found)

    def resource(self, value: Value) -> list[str] | None:
        """tryLookupResourceAffinity: pinned first, then the producer element."""
        pinned = self.pinned(value)
        if pinned is not None:
            return pinned
        return self._state(self.solution.get(Kind.P, value), value_scope_op(value), False)

    def usage(self, value: Value) -> list[str] | None:
        """tryLookupResourceUsageAffinity: valid P and C sets and the pinned affinities."""
        found: set[str] = set()
        for kind in (Kind.P, Kind.C):
            state = self.solution.get(kind, value)
            if state is not None and state.valid and (kind == Kind.P or _has_consumer(value)):
                found.update(state.devices)
        found.update(self.pinned(value) or ())
        if not found:
            return self._default(value_scope_op(value))
        return _order(found)


def _has_consumer(value: Value) -> bool:
    """Whether IREE 3.13 has a consumer element for the value.

    The engines also give consumers to callee and region arguments (they read C(w) for every
    value w a use walk forwards to, instead of walking again); IREE creates C only for op
    results (seeded) and for the block arguments a consumer rule reads by name: branch
    targets, scf.for iter_args, scf.while before/after arguments, and any value an scf.yield
    of an scf.if yields (its consumer rule reads C of the yielded value itself).
    """
    if not isinstance(value, BlockArgument):
        return True
    for use in value.uses:
        parent = use.owner.parent_op
        if optable.info(use.owner).role == Role.YIELD and parent is not None \
                and optable.info(parent).role == Role.SCF_IF:
            return True
    block = value.owner
    if not block.is_entry():
        return True
    parent = block.parent.parent if block.parent is not None else None
    role = optable.info(parent).role if parent is not None else Role.NONE
    return role == Role.SCF_WHILE or (role == Role.SCF_FOR and value.index >= 1)


def compute_annotations_313(module: Module, solution: Solution) -> list[OpAnnotation]:
    """Every annotated op in print order, with what IREE 3.13 attaches."""
    look = Lookups(module, solution)
    out: list[OpAnnotation] = []
    for x, is_global in annotation_sites(module):
        if is_global:
            found = look.global_(x)
            if found:
                out.append(OpAnnotation(x, execution=found))
            continue
        ann = OpAnnotation(x)
        if optable.info(x).affinity_aware and requires_affinity(x):
            ann.execution = look.execution(x) or None
        operands = [v for v in x.operands if is_affinity_typed(v)]
        if operands:
            ann.operands = [look.resource(v) or [] for v in operands]
            ann.operands_usage = [look.usage(v) or [] for v in operands]
        results = [r for r in x.results if is_affinity_typed(r)]
        if results:
            ann.results = [look.resource(r) or [] for r in results]
            ann.results_usage = [look.usage(r) or [] for r in results]
        if ann.execution or ann.operands or ann.results:
            out.append(ann)
    return out
