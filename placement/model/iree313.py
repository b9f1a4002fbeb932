"""The IREE 3.13 profile of the Z3 model (spec 10.1): the seed's constraint builder with the
changed rules overridden, solved as the same two-stratum least model.

Like `placement.model.constraints`, this never imports `placement.baseline`: it shares the IR,
the op table (3.13 rows), the 3.13 Explorer and the pinned-value map with the fixpoint profile.
Membership here is a least model, so it cross-checks every 3.13 attribute that does not depend
on the DFX solver's update order (docs/iree313.md).
"""

from __future__ import annotations

import z3

from placement import ops as optable
from placement.affinity import affinity_text, own_affinity, requires_affinity
from placement.ir.core import Module, Operation, OpResult, Value
from placement.ir.explorer import Explorer, Walk, is_affinity_type, is_affinity_typed
from placement.model.constraints import ConstraintSystem, _Builder, build_constraints
from placement.model.z3_engine import (
    device_bits,
    least_model,
    least_models,
    solution_of,
    validity_clauses,
)
from placement.ops import Role
from placement.solution import Kind, Solution

# The producer's read of a defining op's execution, which 3.13 creates without updating it.
LAZY_RULE = "4.1.4d producer executes (10.1#6: created without update)"


class Builder313(_Builder):
    """Constraints of IREE 3.13.0's rules."""

    # ---------------------------------------------------------------- seeding (10.1 #8)
    def seed(self) -> None:
        for name in sorted(self.ex.globals):
            g = self.ex.globals[name].op
            if is_affinity_type(g.syntax_attrs.get("type", "")):
                self.element(Kind.G, g)
        for top in self.module.top_level_ops():
            if optable.info(top).role != Role.FUNCTION:
                continue
            for block in top.regions[0].blocks if top.regions else []:
                for arg in block.arguments:
                    if is_affinity_typed(arg):
                        self.element(Kind.P, arg)
            for op in top.walk_postorder():
                row = optable.info(op)
                if row.role == Role.FUNCTION:
                    continue  # functions (and nested function-like ops) get no O
                if row.role in (Role.SCF_FOR, Role.SCF_WHILE, Role.SCF_IF, Role.REGION_BRANCH):
                    for region in op.regions:
                        for arg in region.blocks[0].arguments if region.blocks else []:
                            if is_affinity_typed(arg):
                                self.element(Kind.P, arg)
                if row.affinity_aware and requires_affinity(op):
                    self.element(Kind.O, op)
                for res in op.results:
                    if is_affinity_typed(res):
                        self.element(Kind.P, res)
                        self.element(Kind.C, res)

    # ---------------------------------------------------------------- P (10.1 #2, #6)
    def producer(self, e: int, v: Value) -> None:
        if self.direct_producer(e, v):
            return

        def on_def(r: OpResult) -> Walk:
            d = r.owner
            row = optable.info(d)
            if row.role == Role.CALL:
                return Walk.ADVANCE
            pinned = row.affinity_aware and row.pins
            if pinned:
                self.read(e, Kind.O, d, "10.1#2 pinning producer", d)
            tie = optable.tied_operand(d, r.index)
            if tie is not None:
                self.read(e, Kind.P, d.operands[tie], "4.1.4c tied producer", d, pinned)
                if d.name in optable.IREE313_TIED_EXPLICIT and own_affinity(self.module, d):
                    self.read(e, Kind.O, d, "10.1 explicit tied dispatch", d, pinned)
                return Walk.ADVANCE
            if row.affinity_aware:
                self.read(e, Kind.O, d, LAZY_RULE, d, pinned)
            elif row.role == Role.GLOBAL_LOAD:
                self.load_global(e, d, "4.1.4e global load", pinned)
            elif row.role == Role.SELECT and len(d.operands) >= 3:
                for k in (1, 2):
                    self.read(e, Kind.P, d.operands[k], "4.1.4f select operand", d, pinned)
            else:
                self.read(e, Kind.P, r, "4.1.4g defining value", d, pinned)
            return Walk.ADVANCE

        if self.ex.walk_defining_ops(v, on_def, follow_ties=False):
            self.mark_incomplete(e, "producer walk (2.2) incomplete")

    # ---------------------------------------------------------------- C (10.1 #7)
    def consumer_other(self, e: int, op: Operation, idx: int) -> None:
        target = optable.IREE313_RESULT_AFFINITY.get(op.name)
        if target is not None:
            found = affinity_text(self.module, target(op))
            if found is not None:
                self.add_fact(e, found)
            return
        if op.name in optable.IREE313_YIELDS_TO_PARENT:
            parent = op.parent_op
            if parent is not None and idx < len(parent.results):
                self.read(e, Kind.C, parent.results[idx], "10.1#7 stream.yield result", op)

    def consumer_yield(self, e: int, op: Operation, idx: int) -> None:
        parent = op.parent_op
        if parent is None or optable.info(parent).role != Role.SCF_WHILE:
            super().consumer_yield(e, op, idx)
            return
        before = parent.regions[0].blocks[0].arguments if parent.regions[0].blocks else []
        if idx < len(before):
            self.read(e, Kind.C, before[idx], "10.1#13 scf.while yield -> before-arg", op)


def build_constraints_313(module: Module, explorer: Explorer) -> ConstraintSystem:
    """The 3.13 constraint system (the module must carry the 3.13 op rows)."""
    return build_constraints(module, explorer, Builder313)


def _lazy_pairs(cs: ConstraintSystem) -> set[tuple[int, int]]:
    return {(edge.source, edge.reader) for edge in cs.edges if edge.rule == LAZY_RULE}


def solve_system_313(cs: ConstraintSystem) -> tuple[set[int], list[int]]:
    """(invalid elements, per-element device bitset) of the 3.13 least models."""
    ctx = z3.Context()
    inv_facts, inv_clauses = validity_clauses(cs)
    invalid = {a - 1 for a in least_model(ctx, inv_facts, inv_clauses)}
    # Invalid without a lazy read ("early"): 3.13 sees them invalid at their first update, so
    # they never pass a device; the other invalid elements pass what they held (spec Q2).
    lazy = _lazy_pairs(cs)
    early = {a - 1 for a in least_model(ctx, inv_facts, [
        (s, r) for s, r in inv_clauses if (s - 1, r - 1) not in lazy])}
    index = {d: k for k, d in enumerate(cs.devices)}
    per_device: list[set[int]] = [set() for _ in cs.devices]
    for e, d in cs.fixed.items():
        per_device[index[d]].add(e + 1)
    for e, ds in cs.facts.items():
        if e not in cs.fixed:
            for d in ds:
                per_device[index[d]].add(e + 1)
    x_clauses = [(edge.source + 1, edge.reader + 1) for edge in cs.edges
                 if edge.reader not in cs.fixed and edge.source not in early]
    models = least_models(ctx, [sorted(f) for f in per_device], x_clauses)
    return invalid, device_bits(len(cs.keys), models)


def run_z3_iree313(module: Module, explorer: Explorer) -> Solution:
    """Solve a module under the 3.13 rules with Z3 (least model of both strata)."""
    cs = build_constraints_313(module, explorer)
    return solution_of(cs, *solve_system_313(cs))
