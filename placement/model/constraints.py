"""The constraint system of spec sections 6.1 and 11, built from the IR and the op table.

This is the Z3 model's own reading of the spec's element rules (sections 4.0-4.4). It shares
only the IR, the op table (`placement.ops`), the explorer's traversal primitives and the
explicit-affinity lookup with the baseline engine; it never imports `placement.baseline`, so a
disagreement between the two engines points at a bug in one of them.

Everything here is *structural* (spec 6.1 / 11): which elements exist, which element reads
which (one `Edge` per read, guarded or not, named by the rule that creates it and the op that
justifies it), which elements are fixed by an explicit affinity, and which updates hit an
INCOMPLETE traversal. No device set is computed here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from placement import ops as optable
from placement.affinity import explicit_affinity
from placement.ir.core import BlockArgument, Module, Operation, OpResult, Use, Value
from placement.ir.explorer import (
    Explorer,
    SccSummary,
    Walk,
    is_affinity_type,
    is_affinity_typed,
)
from placement.ops import Role
from placement.solution import Kind, Subject

T = TypeVar("T")
# A step of a walk from one value: what the value itself contributes, whether its own expansion
# was INCOMPLETE, and the values the walk goes to next.
Step = tuple[T, bool, list[Value]]


class Closure(SccSummary[tuple[T, bool]]):
    """Memoized answers of a transitive walk over values, for every start value: the answer
    for `v` unions v's own step (contributions, INCOMPLETE) with the answers of the values it
    steps to. The explorer's generic strongly-connected-components summary does the search
    (loops and call cycles share one answer; linear where one literal walk per value, as the
    spec states the rules, is quadratic); the steps and the union are this model's own."""

    def __init__(self, step: Callable[[Value], Step[T]],
                 union: Callable[[list[tuple[T, bool]]], tuple[T, bool]]) -> None:
        def pair_step(v: Value) -> tuple[tuple[T, bool], list[Value]]:
            own, inc, nexts = step(v)
            return (own, inc), nexts

        super().__init__(pair_step, union)


def _or_bits(parts: list[tuple[int, bool]]) -> tuple[int, bool]:
    bits = 0
    inc = False
    for b, i in parts:
        bits |= b
        inc |= i
    return bits, inc


def _merge_uses(parts: list[tuple[tuple[Use, ...], bool]]) -> tuple[tuple[Use, ...], bool]:
    inc = any(i for _, i in parts)
    nonempty = [uses for uses, _ in parts if uses]
    if len(nonempty) <= 1:
        return (nonempty[0] if nonempty else ()), inc
    merged: dict[tuple[int, int], Use] = {}
    for uses in nonempty:
        for u in uses:
            merged.setdefault((id(u.owner), u.index), u)
    return tuple(merged.values()), inc


@dataclass(frozen=True, slots=True)
class Edge:
    """`reader` reads `source` (spec 5): membership flows source -> reader.

    `guarded` reads pass only from a valid source (G's reads of C(load) / P(store)); unguarded
    reads also pass invalidity. `rule` names the spec rule, `op` the op that creates the edge.
    """

    reader: int
    source: int
    guarded: bool
    rule: str
    op: Operation | None


@dataclass
class ConstraintSystem:
    """Elements, facts and read edges of one module (the structural part of the model)."""

    module: Module
    keys: list[tuple[Kind, Subject]] = field(default_factory=list)
    index: dict[tuple[Kind, int], int] = field(default_factory=dict)
    fixed: dict[int, str] = field(default_factory=dict)  # element -> explicit affinity
    incomplete: dict[int, str] = field(default_factory=dict)  # element -> which traversal
    edges: list[Edge] = field(default_factory=list)
    devices: list[str] = field(default_factory=list)
    facts: dict[int, list[str]] = field(default_factory=dict)  # element -> joined constants

    def find(self, kind: Kind, subject: Subject) -> int | None:
        """The index of an element, if it exists."""
        return self.index.get((kind, id(subject)))

    def reads_of(self) -> list[list[Edge]]:
        """Per element, the edges it reads (in creation order)."""
        out: list[list[Edge]] = [[] for _ in self.keys]
        for edge in self.edges:
            out[edge.reader].append(edge)
        return out

    def readers_of(self) -> list[list[Edge]]:
        """Per element, the edges that read it."""
        out: list[list[Edge]] = [[] for _ in self.keys]
        for edge in self.edges:
            out[edge.source].append(edge)
        return out


RECORD = -1  # the element `read`, `mark_incomplete` and `add_fact` record for (one use's part)


@dataclass(frozen=True, slots=True)
class _Fact:
    device: str


# A recorded action: a read (kind, subject, rule, op, guarded), an INCOMPLETE reason, a fact.
_Action = tuple[Kind, Subject, str, Operation | None, bool] | str | _Fact


class _Builder:
    """Builds a ConstraintSystem: seeds (4.0), then the closure under each element's reads."""

    def __init__(self, module: Module, explorer: Explorer) -> None:
        self.module = module
        self.ex = explorer
        self.cs = ConstraintSystem(module)
        self.todo: list[int] = []
        # Pin scans (4.1): the pinning ops reached by the tie-following definition and use
        # walks, as bitsets over `pin_ops`.
        self.pin_ops: list[Operation] = []
        self.pin_bit: dict[int, int] = {}
        self.pin_defs: Closure[int] = Closure(self._pin_def_step, _or_bits)
        self.pin_uses: Closure[int] = Closure(self._pin_use_step, _or_bits)
        # Consumer walks (4.2): the uses reached by the plain use walk, and what each use
        # makes a consumer read (recorded once per use, replayed for every consumer).
        self.use_walk: Closure[tuple[Use, ...]] = Closure(self._use_step, _merge_uses)
        self.use_actions: dict[tuple[int, int], list[_Action]] = {}
        self.recording: list[_Action] | None = None

    # ---------------------------------------------------------------- elements
    def element(self, kind: Kind, subject: Subject) -> int:
        key = (kind, id(subject))
        found = self.cs.index.get(key)
        if found is not None:
            return found
        i = len(self.cs.keys)
        self.cs.keys.append((kind, subject))
        self.cs.index[key] = i
        self.todo.append(i)
        return i

    def read(self, reader: int, kind: Kind, subject: Subject, rule: str,
             op: Operation | None, guarded: bool = False) -> None:
        if reader == RECORD:
            assert self.recording is not None
            self.recording.append((kind, subject, rule, op, guarded))
            return
        source = self.element(kind, subject)
        if source != reader:  # self-reads (spec Q11) change nothing
            self.cs.edges.append(Edge(reader, source, guarded, rule, op))

    def mark_incomplete(self, e: int, why: str) -> None:
        if e == RECORD:
            assert self.recording is not None
            self.recording.append(why)
            return
        self.cs.incomplete.setdefault(e, why)

    def add_fact(self, e: int, device: str) -> None:
        """Element `e` holds `device` whatever it reads."""
        if e == RECORD:
            assert self.recording is not None
            self.recording.append(_Fact(device))
            return
        self.cs.facts.setdefault(e, []).append(device)

    def replay(self, e: int, actions: list[_Action]) -> None:
        """Apply recorded reads, INCOMPLETE marks and facts to element `e`."""
        for a in actions:
            if isinstance(a, tuple):
                self.read(e, *a)
            elif isinstance(a, _Fact):
                self.add_fact(e, a.device)
            else:
                self.mark_incomplete(e, a)

    # ---------------------------------------------------------------- seeding (4.0)
    def seed(self) -> None:
        for name in sorted(self.ex.globals):
            g = self.ex.globals[name].op
            if is_affinity_type(g.syntax_attrs.get("type", "")):
                self.element(Kind.G, g)
        for top in self.module.top_level_ops():
            if not optable.info(top).is_function:
                continue
            for region in top.regions[:1]:
                for block in region.blocks:
                    for arg in block.arguments:
                        if is_affinity_typed(arg):
                            self.element(Kind.P, arg)
            for op in top.walk_postorder():
                row = optable.info(op)
                if row.region_branch is not None:
                    for region in op.regions:
                        if region.blocks:
                            for arg in region.blocks[0].arguments:
                                if is_affinity_typed(arg):
                                    self.element(Kind.P, arg)
                if row.affinity_aware:
                    self.element(Kind.O, op)
                for res in op.results:
                    if is_affinity_typed(res):
                        self.element(Kind.P, res)

    def close(self) -> None:
        while self.todo:
            e = self.todo.pop()
            kind, subject = self.cs.keys[e]
            if kind in (Kind.O, Kind.G):
                assert isinstance(subject, Operation)
                explicit = explicit_affinity(self.module, subject)
                if explicit is not None:
                    self.cs.fixed[e] = explicit  # fixed elements read nothing
                    continue
            if kind == Kind.P:
                assert not isinstance(subject, Operation)
                self.producer(e, subject)
            elif kind == Kind.C:
                assert not isinstance(subject, Operation)
                self.consumer(e, subject)
            elif kind == Kind.G:
                assert isinstance(subject, Operation)
                self.global_(e, subject)
            else:
                assert isinstance(subject, Operation)
                self.execution(e, subject)

    # ---------------------------------------------------------------- P (4.1)
    def pins(self, v: Value) -> list[Operation]:
        """Pinning ops found from `v` through its definitions and uses, ties followed."""
        bits = self.pin_defs(v)[0] | self.pin_uses(v)[0]
        out = []
        while bits:
            low = bits & -bits
            out.append(self.pin_ops[low.bit_length() - 1])
            bits ^= low
        return out

    def _pin(self, op: Operation) -> int:
        bit = self.pin_bit.get(id(op))
        if bit is None:
            bit = self.pin_bit[id(op)] = 1 << len(self.pin_ops)
            self.pin_ops.append(op)
        return bit

    def _pin_def_step(self, v: Value) -> Step[int]:
        """walkDefiningOps with ties: a pinning definer is found; non-affinity results stop."""
        if isinstance(v, BlockArgument):
            return 0, False, self.ex.incoming(v)[0]
        assert isinstance(v, OpResult)
        row = optable.info(v.owner)
        if row.ignored_by_explorer or not is_affinity_typed(v):
            return 0, False, []
        own = self._pin(v.owner) if row.pins else 0
        return own, False, self.ex.expand_definition(v, True)[0]

    def _pin_use_step(self, v: Value) -> Step[int]:
        """walkTransitiveUses with ties: a pinning user of an affinity-typed operand is found."""
        own = 0
        nexts: list[Value] = []
        for u in v.uses:
            row = optable.info(u.owner)
            if row.ignored_by_explorer:
                continue
            if row.pins and is_affinity_typed(u.owner.operands[u.index]):
                own |= self._pin(u.owner)
            nexts.extend(self.ex.expand_use(u, True)[0])
        return own, False, nexts

    def producer(self, e: int, v: Value) -> None:
        pinned = self.pins(v)
        if pinned:
            for p in pinned:
                self.read(e, Kind.O, p, "4.1.1 pinned by", p)
            return
        if self.direct_producer(e, v):
            return

        def on_def(r: OpResult) -> Walk:
            d = r.owner
            row = optable.info(d)
            if row.role == Role.CALL:
                return Walk.ADVANCE  # 4a: the walk continues into the callee's returns
            tie = optable.tied_operand(d, r.index)
            if row.affinity_aware and row.pins:
                self.read(e, Kind.O, d, "4.1.4b pinning producer", d)
            elif tie is not None:
                self.read(e, Kind.P, d.operands[tie], "4.1.4c tied producer", d)
            elif row.affinity_aware:
                self.read(e, Kind.O, d, "4.1.4d producer executes", d)
            elif row.role == Role.GLOBAL_LOAD:
                self.load_global(e, d, "4.1.4e global load")
            elif row.role == Role.SELECT and len(d.operands) >= 3:
                self.read(e, Kind.P, d.operands[1], "4.1.4f select operand", d)
                self.read(e, Kind.P, d.operands[2], "4.1.4f select operand", d)
            else:
                self.read(e, Kind.P, r, "4.1.4g defining value", d)
            return Walk.ADVANCE

        if self.ex.walk_defining_ops(v, on_def, follow_ties=False):
            self.mark_incomplete(e, "producer walk (2.2) incomplete")

    def direct_producer(self, e: int, v: Value) -> bool:
        """The producer rules that read one element instead of walking (4.1.2 a barrier's
        operand, 4.1.3 a loaded global); whether one applied."""
        if isinstance(v, OpResult):
            d = v.owner
            role = optable.info(d).role
            if role == Role.OPT_BARRIER and v.index < len(d.operands):
                self.read(e, Kind.P, d.operands[v.index], "4.1.2 optimization barrier", d)
                return True
            if role == Role.GLOBAL_LOAD:
                self.load_global(e, d, "4.1.3 global load")
                return True
        return False

    def load_global(self, e: int, load: Operation, rule: str, guarded: bool = False) -> None:
        g = self.ex.global_op(load)
        if g is None or self.ex.global_info(g) is None:
            self.mark_incomplete(e, f"global of {load.name} unknown")
            return
        self.read(e, Kind.G, g, rule, load, guarded)

    # ---------------------------------------------------------------- C (4.2)
    def _use_step(self, v: Value) -> Step[tuple[Use, ...]]:
        """walkTransitiveUses without ties: every use is reported and expanded."""
        own: list[Use] = []
        nexts: list[Value] = []
        inc = False
        for u in v.uses:
            if optable.info(u.owner).ignored_by_explorer:
                continue
            own.append(u)
            vals, i = self.ex.expand_use(u, False)
            inc |= i
            nexts.extend(vals)
        return tuple(own), inc, nexts

    def consumer(self, e: int, v: Value) -> None:
        uses, incomplete = self.use_walk(v)
        for u in uses:
            key = (id(u.owner), u.index)
            actions = self.use_actions.get(key)
            if actions is None:
                self.recording = actions = self.use_actions[key] = []
                self.consumer_use(RECORD, u)
                self.recording = None
            self.replay(e, actions)
        if incomplete:
            self.mark_incomplete(e, "use walk (2.3) incomplete")

    def consumer_use(self, e: int, u: Use) -> None:
        """What one use reached by C's use walk makes the consumer `e` read (4.2)."""
        op, idx = u.owner, u.index
        row = optable.info(op)
        if row.affinity_aware:
            self.read(e, Kind.O, op, "4.2.1 user executes", op)
        for t in optable.tied_results(op, idx):
            self.read(e, Kind.C, op.results[t], "4.2.2 tied result", op)
        role = row.role
        term = row.terminator
        if role == Role.SELECT:
            self.read(e, Kind.C, op.results[0], "4.2.3 select result", op)
        elif row.is_branch:
            for w in self.flows(e, op, idx):
                self.read(e, Kind.C, w, "4.2.3 branch argument", op)
        elif row.region_branch is not None:
            for w in self.flows(e, op, idx):
                if isinstance(w, BlockArgument):  # entry arguments, not zero-trip results
                    self.read(e, Kind.C, w, f"4.2.3 {op.name} region argument", op)
        elif term is not None and not term.return_like:
            for w in self.flows(e, op, idx):
                what = "after-arg" if isinstance(w, BlockArgument) else "result"
                self.read(e, Kind.C, w, f"4.2.3 {op.name} {what}", op)
        elif row.returns_to_call_sites:
            for w in self.flows(e, op, idx, "returned from a function with unknown callers"):
                assert isinstance(w, OpResult)
                self.read(e, Kind.C, w, "4.2.3 call result", w.owner)
        elif term is not None:
            parent = op.parent_op
            if parent is None or not optable.info(parent).is_function:
                self.consumer_yield(e, op, idx)
        elif role == Role.OPT_BARRIER:
            if idx < len(op.results):
                self.read(e, Kind.C, op.results[idx], "4.2.3 barrier result", op)
        elif role == Role.GLOBAL_STORE:
            self.load_global(e, op, "4.2.3 global store")
        else:
            self.consumer_other(e, op, idx)

    def flows(self, e: int, op: Operation, idx: int,
              why: str = "flows into a call without a body") -> list[Value]:
        """Where operand `idx` of `op` flows by the op table's interfaces, calls resolved."""
        values, incomplete = self.ex.resolve(optable.operand_targets(op, idx))
        if incomplete:
            self.mark_incomplete(e, why)
        return values

    def consumer_other(self, e: int, op: Operation, idx: int) -> None:
        """A use the seed's consumer switch does not handle: no read."""

    def consumer_yield(self, e: int, op: Operation, idx: int) -> None:
        parent = op.parent_op
        spec = optable.info(parent).region_branch if parent is not None else None
        if parent is None or spec is None or not spec.modelled:
            self.mark_incomplete(e, "scf.yield of an unhandled parent (Q20)")
            return
        loop_back = [w for w in self.flows(e, op, idx) if isinstance(w, BlockArgument)]
        if not loop_back:  # scf.if: the seed reads the yielded value itself
            self.read(e, Kind.C, op.operands[idx], "4.2.3 scf.if yielded value", op)
        for arg in loop_back:
            self.read(e, Kind.C, arg, "4.2.3 scf.yield loop-carried", op)
        if idx < len(parent.results):
            self.read(e, Kind.C, parent.results[idx], "4.2.3 scf.yield result", op)

    # ---------------------------------------------------------------- G (4.3)
    def global_(self, e: int, g: Operation) -> None:
        gi = self.ex.global_info(g)
        if gi is None:
            return
        if gi.is_indirect:
            self.mark_incomplete(e, "indirect global (util.global.address)")
        loads = gi.loads
        for load in loads:
            if load.results:
                self.read(e, Kind.C, load.results[0], "4.3.2 loaded value used", load,
                          guarded=True)
        if not loads:
            for store in gi.stores:
                if store.operands:
                    self.read(e, Kind.P, store.operands[0], "4.3.3 stored value", store,
                              guarded=True)

    # ---------------------------------------------------------------- O (4.4)
    def execution(self, e: int, op: Operation) -> None:
        operands = [v for v in op.operands if is_affinity_typed(v)]
        if operands:
            for v in operands:
                self.read(e, Kind.P, v, "4.4 operand producer", op)
            return
        for r in op.results:
            if is_affinity_typed(r):
                self.read(e, Kind.C, r, "4.4 result consumer", op)


def build_constraints(module: Module, explorer: Explorer | None = None,
                      builder: type[_Builder] | None = None) -> ConstraintSystem:
    """The structural constraint system of a module (element closure, facts, read edges);
    `builder` replaces the seed's rules (a profile's subclass of `_Builder`)."""
    b = (builder or _Builder)(module, explorer or Explorer(module))
    b.seed()
    b.close()
    cs = b.cs
    cs.devices = sorted(set(cs.fixed.values()) | {d for ds in cs.facts.values() for d in ds},
                        key=str.encode)
    # Deduplicate edges (same reader, source and guard) keeping the first rule that made them.
    seen: set[tuple[int, int, bool]] = set()
    unique: list[Edge] = []
    for edge in cs.edges:
        key = (edge.reader, edge.source, edge.guarded)
        if key not in seen:
            seen.add(key)
            unique.append(edge)
    cs.edges = unique
    return cs
