"""The element rules of the seed (spec section 4): what each element reads.

A rule returns the elements it reads (each guarded or not) and whether its traversal was
INCOMPLETE. Rules are methods of a profile class so that a later semantics profile (IREE 3.13,
spec section 10) can replace one rule without forking the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from placement import ops as optable
from placement.affinity import affinity_text, explicit_affinity, own_affinity
from placement.ir.core import BlockArgument, Module, Operation, OpResult, Use, Value
from placement.ir.explorer import (
    DefiningSummary,
    Explorer,
    OrderedDefiningSummary,
    SccSummary,
    Walk,
    expands_definition,
    expands_use,
    is_affinity_type,
    is_affinity_typed,
)
from placement.ops import Role
from placement.solution import Kind, Subject

Key = tuple[Kind, Subject]


@dataclass
class Reads:
    """The elements an update reads, and the INCOMPLETE flag of its traversals."""

    reads: list[tuple[Key, bool]] = field(default_factory=list)  # (element, guarded)
    incomplete: bool = False
    facts: list[str] = field(default_factory=list)  # affinities joined as constants (3.13)
    # Reads of elements IREE 3.13 creates without updating them at once (10.1#6): invalidity
    # that only arrives through them arrives late (see SeedRules.absorb_invalid_guarded).
    lazy: list[Key] = field(default_factory=list)

    def add(self, kind: Kind, subject: Subject, guarded: bool = False) -> None:
        """Read one element."""
        self.reads.append(((kind, subject), guarded))


def _not_a_call(r: OpResult) -> bool:
    """A defining result the producer rule reads (a call's result is walked through)."""
    return optable.info(r.owner).role != Role.CALL


def _or(parts: list[int]) -> int:
    total = 0
    for bits in parts:
        total |= bits
    return total


class _PinScan(SccSummary[int]):
    """Memoized spec 4.1 pin scan from every value: the bitset (`SeedRules._pin_bit`) of the
    pinning ops a tie-following walk reaches. `defs=True` summarizes walkDefiningOps: a
    reported result of a pinning op contributes its bit, a result that is not
    affinity-typed is skipped (not expanded); `defs=False` summarizes walkTransitiveUses: a
    use of an affinity-typed operand by a pinning op contributes its bit."""

    def __init__(self, rules: SeedRules, defs: bool) -> None:
        super().__init__(self._step_def if defs else self._step_use, _or)
        self.explorer = rules.explorer
        self.bit = rules._pin_bit
        self.plain = rules.explorer.plain_expansion

    def _step_def(self, v: Value) -> tuple[int, list[Value]]:
        if isinstance(v, BlockArgument):
            return 0, self.explorer.incoming(v)[0]
        assert isinstance(v, OpResult)
        owner = v.owner
        row = optable.info(owner)
        if row.ignored_by_explorer or not is_affinity_typed(v):
            return 0, []
        bits = self.bit(owner) if row.pins else 0
        if self.plain and not expands_definition(row, True):
            return bits, []
        return bits, self.explorer.expand_definition(v, True)[0]

    def _step_use(self, v: Value) -> tuple[int, list[Value]]:
        bits = 0
        nexts: list[Value] = []
        plain = self.plain
        for use in v.uses:
            owner = use.owner
            row = optable.info(owner)
            if row.ignored_by_explorer:
                continue
            if row.pins and is_affinity_typed(owner.operands[use.index]):
                bits |= self.bit(owner)
            if not plain or expands_use(row, True):
                nexts.extend(self.explorer.expand_use(use, True)[0])
        return bits, nexts


class SeedRules:
    """The seed's rules (IREE PR #17919), as normative in spec sections 4 and 6.1."""

    name = "seed"
    # IREE 3.13 (spec Q2): an element that turns invalid only through a lazy read passes the
    # devices it held while valid, also through guarded reads (its readers keep them); one
    # invalid from its first update ("early") passes none. The seed: guarded reads pass
    # nothing from an invalid source.
    absorb_invalid_guarded = False
    # Producer walks from one memoized summary (linear; reads in another order than the
    # literal walk's). A profile whose results depend on element creation order (3.13's
    # solver bound estimate) walks literally.
    memoized_producer_walk = True

    def __init__(self, module: Module, explorer: Explorer) -> None:
        self.module = module
        self.explorer = explorer
        self._pin_ops: list[Operation] = []
        self._pin_index: dict[int, int] = {}
        self._pins_up = _PinScan(self, True)
        self._pins_down = _PinScan(self, False)
        self._defining = DefiningSummary(explorer, _not_a_call)
        self._ordered = OrderedDefiningSummary(explorer, _not_a_call)
        self._any_pins: bool | None = None  # does any op of the module pin (row.pins)?

    # ------------------------------------------------------------------ fixed seeds
    def fixed(self, kind: Kind, subject: Subject,
              memo: dict[int, str | None] | None = None) -> str | None:
        """The explicit affinity of a fixed element (O and G only), else None.

        With `memo` (id(op) -> answer, for one unchanged module), each op and enclosing op
        is looked up once (`explicit_affinity` walks every parent of every op)."""
        if kind is not Kind.O and kind is not Kind.G:
            return None
        assert isinstance(subject, Operation)
        if memo is None:
            return explicit_affinity(self.module, subject)
        found = memo.get(id(subject), memo)
        if found is not memo:
            return found  # type: ignore[return-value]
        chain: list[Operation] = []
        inherited: str | None = None
        x: Operation | None = subject
        while x is not None:
            known = memo.get(id(x), memo)
            if known is not memo:
                inherited = known  # type: ignore[assignment]
                break
            chain.append(x)
            x = x.parent_op
        module = self.module
        for x in reversed(chain):  # outermost first: an op's own affinity, else its parent's
            own = own_affinity(module, x) if optable.info(x).affinity_aware else None
            if own is None:
                own = affinity_text(module, x.attr("stream.affinity"))
            if own is not None:
                inherited = own
            memo[id(x)] = inherited
        return inherited

    # ------------------------------------------------------------------ P
    def pinning_ops(self, value: Value) -> list[Operation]:
        """Spec 4.1 pin scan: pinning ops reachable through defs and uses, ties followed.

        Computed as memoized reachability summaries (`_PinScan`), which report exactly
        what the two walks would, in linear total time over all values.
        """
        if not self._any_pins:
            if self._any_pins is None:
                self._any_pins = any(optable.info(op).pins for op in self.module.root.walk())
            if not self._any_pins:
                return []  # no label can be set: every scan finds nothing
        bits = self._pins_up(value) | self._pins_down(value)
        pins = []
        while bits:
            low = bits & -bits
            pins.append(self._pin_ops[low.bit_length() - 1])
            bits ^= low
        return pins

    def _pin_bit(self, op: Operation) -> int:
        index = self._pin_index.get(id(op))
        if index is None:
            index = self._pin_index[id(op)] = len(self._pin_ops)
            self._pin_ops.append(op)
        return 1 << index

    def producer(self, value: Value) -> Reads:
        """P(v): where the value lives according to its producers."""
        out = Reads()
        pins = self.pinning_ops(value)
        if pins:
            for p in pins:
                out.add(Kind.O, p)
            return out
        if isinstance(value, OpResult):
            owner = value.owner
            role = optable.info(owner).role
            if role == Role.OPT_BARRIER and value.index < len(owner.operands):
                out.add(Kind.P, owner.operands[value.index])
                return out
            if role == Role.GLOBAL_LOAD:
                self._read_global(out, owner)
                return out

        if self.memoized_producer_walk:
            defs, incomplete = self._defining(value)
            for r in defs:
                self._producer_def(out, value, r)
            out.incomplete |= incomplete
            return out

        found = self._ordered(value)  # the literal walk's answer where it is acyclic
        if found is not None:
            for r in found[0]:
                self._producer_def(out, value, r)
            out.incomplete |= found[1]
            return out

        def on_def(r: OpResult) -> Walk:
            if _not_a_call(r):
                self._producer_def(out, value, r)
            return Walk.ADVANCE

        out.incomplete |= self.explorer.walk_defining_ops(value, on_def, follow_ties=False)
        return out

    def _producer_def(self, out: Reads, value: Value, r: OpResult) -> None:
        """Spec 4.1 rule 4 b-g: what P(value) reads for a defining result r (not a call's)."""
        d = r.owner
        row = optable.info(d)
        tied = optable.tied_operand(d, r.index)
        if row.affinity_aware and row.pins:
            out.add(Kind.O, d)  # unreachable (spec Q5): the pin scan found it
        elif tied is not None:
            out.add(Kind.P, d.operands[tied])
        elif row.affinity_aware:
            out.add(Kind.O, d)
        elif row.role == Role.GLOBAL_LOAD:
            self._read_global(out, d)
        elif row.role == Role.SELECT and len(d.operands) >= 3:
            out.add(Kind.P, d.operands[1])
            out.add(Kind.P, d.operands[2])
        elif r is not value:
            out.add(Kind.P, r)

    def _read_global(self, out: Reads, load: Operation, guarded: bool = False) -> None:
        g = self.explorer.global_op(load)
        if g is None or self.explorer.global_info(g) is None:
            out.incomplete = True
        else:
            out.add(Kind.G, g, guarded)

    # ------------------------------------------------------------------ C
    def consumer(self, value: Value) -> Reads:
        """C(v): where the value is used.

        The seed walks every use reachable from v (walkTransitiveUses, ties not followed)
        and joins each use's reads. That union is, by construction of the walk, the reads of
        v's own uses joined with C(w) for every value w those uses forward to (block
        arguments, callee arguments, call results, region results, loaded values): C(w) is
        the same walk started at w. Reading C(w) instead of re-walking keeps the element
        graph linear in the module (each use is read once, not once per upstream value).
        The Z3 model encodes the literal walk, so the cross-check covers this identity.
        """
        out = Reads()
        explorer = self.explorer

        def on_use(u: Use) -> None:
            op, idx = u.owner, u.index
            row = optable.info(op)
            if row.affinity_aware:
                out.add(Kind.O, op)
            for r in optable.tied_results(op, idx):
                out.add(Kind.C, op.results[r])
            role = row.role
            term = row.terminator
            if role == Role.SELECT:
                out.add(Kind.C, op.results[0])
            elif row.is_branch or (term is not None and not term.return_like):
                # Successor block arguments; every successor of an scf.condition.
                for w in self._flows(out, op, idx):
                    out.add(Kind.C, w)
            elif row.region_branch is not None:
                # The region entry arguments the operand enters (not the zero-trip results).
                for w in self._flows(out, op, idx):
                    if isinstance(w, BlockArgument):
                        out.add(Kind.C, w)
            elif row.returns_to_call_sites:
                for w in self._flows(out, op, idx):
                    out.add(Kind.C, w)
            elif term is not None:
                parent = op.parent_op
                if parent is None or not optable.info(parent).is_function:
                    self._consumer_yield(out, op, idx)
            elif role == Role.OPT_BARRIER:
                if idx < len(op.results):
                    out.add(Kind.C, op.results[idx])
            elif role == Role.GLOBAL_STORE:
                self._read_global(out, op)
            else:
                self._consumer_other(out, op, idx)

        for use in value.uses:
            if optable.info(use.owner).ignored_by_explorer:
                continue
            on_use(use)
            forwards, incomplete = explorer.expand_use(use, follow_ties=False)
            out.incomplete |= incomplete
            for w in forwards:
                out.add(Kind.C, w)
        return out

    def _flows(self, out: Reads, op: Operation, idx: int) -> list[Value]:
        """Where operand `idx` of `op` flows (op-table interfaces, calls resolved)."""
        values, incomplete = self.explorer.resolve(optable.operand_targets(op, idx))
        out.incomplete |= incomplete
        return values

    def _consumer_other(self, out: Reads, op: Operation, idx: int) -> None:
        """Consumer rule for a use no case of the seed's switch handles: nothing."""

    def _consumer_yield(self, out: Reads, op: Operation, idx: int) -> None:
        """A yield's use: the arguments it loops back to (scf.if: the yielded value itself,
        a seed quirk), and the parent's result idx even where it goes elsewhere."""
        parent = op.parent_op
        spec = optable.info(parent).region_branch if parent is not None else None
        if parent is None or spec is None or not spec.modelled:
            out.incomplete = True  # spec Q20: unhandled scf.yield parent
            return
        args = [w for w in self._flows(out, op, idx) if isinstance(w, BlockArgument)]
        if not args:
            out.add(Kind.C, op.operands[idx])
        for arg in args:
            out.add(Kind.C, arg)
        if idx < len(parent.results):
            out.add(Kind.C, parent.results[idx])

    # ------------------------------------------------------------------ G
    def global_(self, g: Operation) -> Reads:
        """G(g): where the global is read (or written, when nothing loads it)."""
        out = Reads()
        gi = self.explorer.global_info(g)
        if gi is None:
            return out
        out.incomplete = gi.is_indirect
        loads = gi.loads
        for load in loads:
            if load.results:
                out.add(Kind.C, load.results[0], guarded=True)
        if not loads:
            for store in gi.stores:
                if store.operands:
                    out.add(Kind.P, store.operands[0], guarded=True)
        return out

    # ------------------------------------------------------------------ O
    def execution(self, op: Operation) -> Reads:
        """O(op): where the op runs: its operands' producers, else its results' consumers."""
        out = Reads()
        operands = [v for v in op.operands if is_affinity_typed(v)]
        if operands:
            for v in operands:
                out.add(Kind.P, v)
        else:
            for r in op.results:
                if is_affinity_typed(r):
                    out.add(Kind.C, r)
        return out

    # ------------------------------------------------------------------ seeds
    def seeds(self) -> list[Key]:
        """The elements `run()` creates before any update (spec 4.0), in creation order."""
        keys: list[Key] = []
        explorer = self.explorer
        for name in sorted(explorer.globals):
            gi = explorer.globals[name]
            gtype = gi.op.syntax_attrs.get("type", "")
            if is_affinity_type(gtype):
                keys.append((Kind.G, gi.op))
        for f in self.module.top_level_ops():
            if not optable.info(f).is_function:
                continue
            if f.regions:
                for block in f.regions[0].blocks:
                    for arg in block.arguments:
                        if is_affinity_typed(arg):
                            keys.append((Kind.P, arg))
            for x in f.walk_postorder():
                row = optable.info(x)
                if row.region_branch is not None:
                    for region in x.regions:
                        if region.blocks:
                            for arg in region.blocks[0].arguments:
                                if is_affinity_typed(arg):
                                    keys.append((Kind.P, arg))
                if row.affinity_aware:
                    keys.append((Kind.O, x))
                for r in x.results:
                    if is_affinity_typed(r):
                        keys.append((Kind.P, r))
        return keys
