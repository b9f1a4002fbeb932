"""IREE 3.13's Explorer (spec 10.1 #11-#15) and the profile's op-table rows.

Differences from the seed Explorer (`placement.ir.explorer`):

* every top-level global has a GlobalInfo, used or not (#15);
* `walkTransitiveUses` enters a region-branch op through its entry successor operands only
  (scf.for init k -> iter_arg k; no raw-index mapping, no parent exit), and a region
  terminator forwards to its successors: scf.yield of scf.for -> iter_arg and result, of
  scf.while -> before-arg (not the result), of scf.if -> result; scf.condition -> after-arg
  and result (#12, #13);
* `walkDefiningOps` of a region result only reads terminators that return to the parent: an
  scf.while result comes from scf.condition, not from the after-region's scf.yield (#14);
* a `skip` answer stops `walkTransitiveUses` from expanding that use (#11).
"""

from __future__ import annotations

from collections.abc import Callable

from placement import ops as optable
from placement.ir.core import BlockArgument, Module, Operation, OpResult, Use, Value
from placement.ir.explorer import Explorer, GlobalInfo, Walk, is_affinity_typed, symbol_name
from placement.ops import Role


def apply_rows(module: Module) -> None:
    """Give every op of the module its IREE 3.13 op-table row (`placement.ops.info_iree313`)."""
    for op in module.root.walk():
        op.row = optable.info_iree313(op)


class Explorer313(Explorer):
    """The Explorer as IREE 3.13 traverses (the module must carry the 3.13 rows)."""

    plain_expansion = False  # expand_use also expands IREE313_ENTRY_OPERAND_OPS

    def __init__(self, module: Module) -> None:
        super().__init__(module)
        for op in module.top_level_ops():
            name = symbol_name(op)
            if optable.info(op).role == Role.GLOBAL and name is not None \
                    and name not in self.globals and self.symbols.get(name) is op:
                self.globals[name] = GlobalInfo(op)

    def incoming(self, arg: BlockArgument) -> tuple[list[Value], bool]:
        """As the seed, but a stream region op's entry argument i gets entry operand i."""
        block = arg.owner
        parent = block.parent.parent if block.parent is not None else None
        if parent is None or not block.is_entry() \
                or parent.name not in optable.IREE313_ENTRY_OPERAND_OPS:
            return super().incoming(arg)
        entry = _entry_operands(parent)
        return ([entry[arg.index]] if arg.index < len(entry) else []), False

    def expand_definition(self, r: OpResult, follow_ties: bool) -> tuple[list[Value], bool]:
        """As the seed, but an scf.while result reads only the scf.condition (#14)."""
        owner = r.owner
        if optable.info(owner).role != Role.SCF_WHILE:
            return super().expand_definition(r, follow_ties)
        out: list[Value] = []
        if follow_ties:
            tied = optable.tied_operand(owner, r.index)
            if tied is not None:
                out.append(owner.operands[tied])
        if owner.regions and owner.regions[0].blocks:
            last = owner.regions[0].blocks[0].terminator
            if last is not None and optable.info(last).role == Role.CONDITION \
                    and r.index + 1 < len(last.operands):
                out.append(last.operands[r.index + 1])
        return out, False

    def expand_use(self, use: Use, follow_ties: bool) -> tuple[list[Value], bool]:
        """Where walkTransitiveUses goes after `use` in 3.13 (#12, #13)."""
        op, idx = use.owner, use.index
        role = optable.info(op).role
        if op.name in optable.IREE313_ENTRY_OPERAND_OPS:
            captures: list[Value] = []
            if follow_ties:
                captures.extend(op.results[r] for r in optable.tied_results(op, idx))
            entry = [k for k, v in enumerate(op.operands) if is_affinity_typed(v)]
            args = _entry_args(op, 0)
            if idx in entry and entry.index(idx) < len(args):
                captures.append(args[entry.index(idx)])
            return captures, False
        if role not in (Role.SCF_FOR, Role.SCF_WHILE, Role.SCF_IF, Role.YIELD,
                        Role.CONDITION, Role.REGION_TERMINATOR):
            return super().expand_use(use, follow_ties)
        out: list[Value] = []
        if follow_ties:
            out.extend(op.results[r] for r in optable.tied_results(op, idx))
        if role == Role.SCF_FOR:
            body = _entry_args(op, 0)
            if 3 <= idx and idx - 3 + 1 < len(body):
                out.append(body[idx - 3 + 1])
        elif role == Role.SCF_WHILE:
            before = _entry_args(op, 0)
            if idx < len(before):
                out.append(before[idx])
        elif role == Role.YIELD:
            parent = op.parent_op
            prole = optable.info(parent).role if parent is not None else Role.NONE
            if parent is not None and prole == Role.SCF_FOR:
                body = _entry_args(parent, 0)
                if idx + 1 < len(body):
                    out.append(body[idx + 1])
                if idx < len(parent.results):
                    out.append(parent.results[idx])
            elif parent is not None and prole == Role.SCF_WHILE:
                before = _entry_args(parent, 0)
                if idx < len(before):
                    out.append(before[idx])
            elif parent is not None and idx < len(parent.results):
                out.append(parent.results[idx])
        elif role == Role.CONDITION:
            loop = op.parent_op
            if loop is not None and idx >= 1:
                after = _entry_args(loop, 1)
                if idx - 1 < len(after):
                    out.append(after[idx - 1])
                if idx - 1 < len(loop.results):
                    out.append(loop.results[idx - 1])
        elif role == Role.REGION_TERMINATOR:
            parent = op.parent_op
            if parent is not None and op.name in optable.IREE313_YIELDS_TO_PARENT \
                    and idx < len(parent.results):
                out.append(parent.results[idx])
        return out, False

    def walk_transitive_uses(self, value: Value, fn: Callable[[Use], object],
                             follow_ties: bool) -> bool:
        """walkTransitiveUses honouring `skip` (#11); uses in use-list (reverse) order."""
        incomplete = False
        worklist: list[Value] = [value]
        queued = {id(value)}
        processed: set[tuple[int, int]] = set()
        while worklist:
            v = worklist.pop()
            queued.discard(id(v))
            for use in reversed(v.uses):
                key = (id(use.owner), use.index)
                if key in processed:
                    continue
                processed.add(key)
                if optable.info(use.owner).ignored_by_explorer:
                    continue
                if fn(use) == Walk.SKIP:
                    continue
                vals, inc = self.expand_use(use, follow_ties)
                incomplete |= inc
                for w in vals:
                    if id(w) not in queued:
                        queued.add(id(w))
                        worklist.append(w)
        return incomplete


def _entry_operands(op: Operation) -> list[Value]:
    return [v for v in op.operands if is_affinity_typed(v)]


def _entry_args(op: object, region_index: int) -> list[Value]:
    regions = getattr(op, "regions", [])
    if region_index < len(regions) and regions[region_index].blocks:
        return list(regions[region_index].blocks[0].arguments)
    return []
