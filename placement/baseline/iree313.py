"""The IREE 3.13 rules profile of the fixpoint engine (spec 10.1), as overrides of the seed's.

Only the rules that changed are overridden; the engine, the lattice and every other rule are
the seed's (`SeedRules`). What 3.13 computes that a least fixpoint cannot (update order) is
described in docs/iree313.md.
"""

from __future__ import annotations

from placement import ops as optable
from placement.affinity import own_affinity, requires_affinity
from placement.ir.core import Module, Operation, OpResult, Value
from placement.ir.explorer import Explorer, is_affinity_type, is_affinity_typed
from placement.iree313.pins import pinned_values
from placement.ops import Role
from placement.solution import Kind

from .rules import Key, Reads, SeedRules

_REGION_ROLES = (Role.SCF_FOR, Role.SCF_WHILE, Role.SCF_IF, Role.REGION_BRANCH)


class Iree313Rules(SeedRules):
    """IREE 3.13.0's rules; the module must carry the 3.13 rows and use `Explorer313`."""

    name = "iree-3.13"
    absorb_invalid_guarded = True
    memoized_producer_walk = False  # the solver bound estimate follows creation order

    def __init__(self, module: Module, explorer: Explorer) -> None:
        super().__init__(module, explorer)
        self.pinned = pinned_values(module, explorer)

    # ------------------------------------------------------------------ P (10.1 #2, #6)
    def pinning_ops(self, value: Value) -> list[Operation]:
        """P no longer short-circuits on pins (they are consulted at lookup time)."""
        return []

    def _producer_def(self, out: Reads, value: Value, r: OpResult) -> None:
        """A pinning producer reads O(pinner) and guards every other read; tied results stop
        there (plus an explicit tied dispatch's O); the rest as the seed."""
        d = r.owner
        row = optable.info(d)
        pinned = row.affinity_aware and row.pins
        if pinned:
            out.add(Kind.O, d)
        tied = optable.tied_operand(d, r.index)
        if tied is not None:
            out.add(Kind.P, d.operands[tied], guarded=pinned)
            if d.name in optable.IREE313_TIED_EXPLICIT and own_affinity(self.module, d):
                out.add(Kind.O, d, guarded=pinned)
        elif row.affinity_aware:
            out.add(Kind.O, d, guarded=pinned)
            out.lazy.append((Kind.O, d))  # created without an update (10.1#6)
        elif row.role == Role.GLOBAL_LOAD:
            self._read_global(out, d, guarded=pinned)
        elif row.role == Role.SELECT and len(d.operands) >= 3:
            out.add(Kind.P, d.operands[1], guarded=pinned)
            out.add(Kind.P, d.operands[2], guarded=pinned)
        elif r is not value:
            out.add(Kind.P, r, guarded=pinned)

    # ------------------------------------------------------------------ C (10.1 #7)
    def _consumer_other(self, out: Reads, op: Operation, idx: int) -> None:
        """stream.async.transfer joins its target affinity; stream.yield reads the parent's
        result consumer."""
        result_affinity = optable.IREE313_RESULT_AFFINITY.get(op.name)
        if result_affinity is not None:
            found = result_affinity(op)
            resolved = self.module.resolve_attribute(found.strip()) if found else None
            if resolved is not None and resolved.startswith(optable.AFFINITY_ATTRIBUTES):
                out.facts.append(resolved)
        elif op.name in optable.IREE313_YIELDS_TO_PARENT:
            parent = op.parent_op
            if parent is not None and idx < len(parent.results):
                out.add(Kind.C, parent.results[idx])

    def _consumer_yield(self, out: Reads, op: Operation, idx: int) -> None:
        """scf.yield of an scf.while feeds only the before-region argument (not the result)."""
        parent = op.parent_op
        if parent is None or optable.info(parent).role != Role.SCF_WHILE:
            super()._consumer_yield(out, op, idx)
            return
        if parent.regions and parent.regions[0].blocks:
            before = parent.regions[0].blocks[0].arguments
            if idx < len(before):
                out.add(Kind.C, before[idx])

    # ------------------------------------------------------------------ seeds (10.1 #8)
    def seeds(self) -> list[Key]:
        """G for every affinity-typed global, P for function arguments, and per nested op:
        region-entry P, O if it requires an affinity, P and C of its results."""
        keys: list[Key] = []
        explorer = self.explorer
        for name in sorted(explorer.globals):
            gi = explorer.globals[name]
            if is_affinity_type(gi.op.syntax_attrs.get("type", "")):
                keys.append((Kind.G, gi.op))
        for f in self.module.top_level_ops():
            if optable.info(f).role != Role.FUNCTION:
                continue
            if f.regions:
                for block in f.regions[0].blocks:
                    keys.extend((Kind.P, a) for a in block.arguments if is_affinity_typed(a))
            for x in f.walk_postorder():
                row = optable.info(x)
                if row.role == Role.FUNCTION:
                    continue
                if row.role in _REGION_ROLES:
                    for region in x.regions:
                        if region.blocks:
                            keys.extend((Kind.P, a) for a in region.blocks[0].arguments
                                        if is_affinity_typed(a))
                if row.affinity_aware and requires_affinity(x):
                    keys.append((Kind.O, x))
                for r in x.results:
                    if is_affinity_typed(r):
                        keys.append((Kind.P, r))
                        keys.append((Kind.C, r))
        return keys
