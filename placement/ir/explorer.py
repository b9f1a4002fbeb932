"""The Explorer: IREE's IR traversal primitives (spec section 2), shared by both engines.

It answers structural questions only (which values flow where, which call sites reach a
function, which ops load/store a global) and knows nothing of affinities. The baseline
fixpoint and the Z3 model both build on it and on nothing else of each other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Generic, TypeVar

from placement import ops as optable
from placement.ir.core import (
    BlockArgument,
    Module,
    Operation,
    OpResult,
    Region,
    Use,
    Value,
    symbol_of,
)
from placement.ops import Across, CallFlow, Flow, Role, Ties


class Walk(Enum):
    """A traversal callback's answer (the analysis never interrupts)."""

    ADVANCE = 0
    SKIP = 1


def is_affinity_type(t: str) -> bool:
    """Whether a type carries an affinity: a ranked tensor or a stream resource."""
    if t.startswith("tensor<"):
        return not t.startswith("tensor<*")
    return t.startswith("!stream.resource<")


_AFFINITY_TYPES: dict[str, bool] = {}  # type text -> is_affinity_type (types repeat)


def is_affinity_typed(value: Value) -> bool:
    """Whether the value's type carries an affinity (see `is_affinity_type`)."""
    t = value.type
    found = _AFFINITY_TYPES.get(t)
    if found is None:
        found = _AFFINITY_TYPES[t] = is_affinity_type(t)
    return found


def expands_definition(row: optable.OpInfo, follow_ties: bool) -> bool:
    """Whether `expand_definition` can go anywhere past a result of an op with this row."""
    return row.is_call or row.region_branch is not None or row.role == Role.GLOBAL_LOAD \
        or (follow_ties and row.ties != Ties.NONE)


def expands_use(row: optable.OpInfo, follow_ties: bool) -> bool:
    """Whether `expand_use` can go anywhere past a use by an op with this row."""
    return row.has_flows or row.role == Role.GLOBAL_STORE \
        or (follow_ties and row.ties != Ties.NONE)


def is_tensor_type(type_text: str) -> bool:
    """Ranked or unranked tensor (used by the two `requiresAffinity` rules)."""
    return type_text.startswith("tensor<")


@dataclass
class GlobalInfo:
    """What the module does with one global (spec 1.4)."""

    op: Operation
    uses: list[Operation] = field(default_factory=list)
    is_indirect: bool = False
    loads: list[Operation] = field(default_factory=list)  # the util.global.load uses
    stores: list[Operation] = field(default_factory=list)  # the util.global.store uses


def symbol_name(op: Operation) -> str | None:
    """The symbol an op defines (`@name`), if it defines one."""
    name = op.attr("sym_name")
    if name is not None:
        return symbol_of(name)
    if optable.info(op).defines_symbol and op.symbols:
        return op.symbols[0]
    return None


def is_public(op: Operation) -> bool:
    """Symbol visibility: public unless `private` or `nested`."""
    vis = op.attr("sym_visibility")
    return vis is None or vis.strip('"') == "public"


def has_body(op: Operation) -> bool:
    """Whether a function-like op has a non-empty body."""
    return bool(op.regions) and bool(op.regions[0].blocks)


class Explorer:
    """Traversals over one module, with the symbol table, call graph and global info cached."""

    # `expand_definition` / `expand_use` go nowhere when `_expands_definition` /
    # `_expands_use` say so (the summaries skip the call); a subclass that expands more
    # ops sets this False.
    plain_expansion = True

    def __init__(self, module: Module) -> None:
        self.module = module
        self.symbols: dict[str, Operation] = {}
        for op in module.top_level_ops():
            name = symbol_name(op)
            if name is not None:
                self.symbols.setdefault(name, op)
        self.globals: dict[str, GlobalInfo] = {}
        self.call_sites: dict[int, list[Operation]] = {}
        self.call_graph_incomplete = False
        self._scan(module.root)

    # ------------------------------------------------------------- module scan
    def _scan(self, root: Operation) -> None:
        stack = [op for op in reversed(root.regions[0].blocks[0].ops)] if root.regions else []
        order: list[Operation] = []
        while stack:
            op = stack.pop()
            order.append(op)
            role = optable.info(op).role
            if role in (Role.OBJECT, Role.MODULE):
                continue  # nested symbol tables
            for region in reversed(op.regions):
                for block in reversed(region.blocks):
                    stack.extend(reversed(block.ops))
        for op in order:
            row = optable.info(op)
            refs = op.symbols[1:] if row.defines_symbol else op.symbols
            for ref in refs:
                target = self.symbols.get(ref)
                if target is None or optable.info(target).role != Role.GLOBAL:
                    continue
                gi = self.globals.get(ref)
                if gi is None:
                    gi = self.globals[ref] = GlobalInfo(target)
                if row.role == Role.GLOBAL_ADDRESS:
                    gi.is_indirect = True
                else:
                    gi.uses.append(op)
                    if row.role == Role.GLOBAL_LOAD:
                        gi.loads.append(op)
                    elif row.role == Role.GLOBAL_STORE:
                        gi.stores.append(op)
            if row.is_call:
                callee = self.callee(op)
                if callee is None:
                    if optable.callee_symbol(op) is None:
                        self.call_graph_incomplete = True
                elif has_body(callee):
                    self.call_sites.setdefault(id(callee), []).append(op)

    # ------------------------------------------------------------- lookups
    def callee(self, call: Operation) -> Operation | None:
        """The function-like op a direct call resolves to, if any."""
        symbol = optable.callee_symbol(call)
        target = self.symbols.get(symbol) if symbol is not None else None
        if target is None or not optable.info(target).is_function:
            return None
        return target

    def global_info(self, op: Operation) -> GlobalInfo | None:
        """Global info for the global a load/store/global op refers to (None if unrecorded)."""
        if optable.info(op).role == Role.GLOBAL:
            name = symbol_name(op)
        else:
            name = op.symbols[0] if op.symbols else None
        return self.globals.get(name) if name else None

    def global_op(self, op: Operation) -> Operation | None:
        """The util.global a load/store refers to."""
        if not op.symbols:
            return None
        target = self.symbols.get(op.symbols[0])
        if target is None or optable.info(target).role != Role.GLOBAL:
            return None
        return target

    def walk_incoming_calls(self, func: Operation) -> tuple[list[Operation], bool]:
        """Call sites of `func`, and whether the list may be incomplete."""
        return (self.call_sites.get(id(func), []),
                is_public(func) or self.call_graph_incomplete)

    # ------------------------------------------------------------- call resolution
    def resolve(self, flows: Iterable[Flow]) -> tuple[list[Value], bool]:
        """The values op-table flows name, across calls through the call graph, and INCOMPLETE
        (a callee without a body, or call sites that may be missing)."""
        out: list[Value] = []
        incomplete = False
        for f in flows:
            if not isinstance(f, CallFlow):
                out.append(f)
            elif f.across in (Across.CALLEE_ARG, Across.CALLEE_RETURN):
                callee = self.callee(f.op)
                if callee is None or not has_body(callee):
                    incomplete = True
                elif f.across == Across.CALLEE_ARG:
                    out.extend(callee.regions[0].blocks[0].arguments[f.index:f.index + 1])
                else:
                    for term in _terminators(callee.regions[0:1]):
                        t = optable.info(term).terminator
                        if t is not None and t.return_like:
                            out.extend(term.operands[f.index:f.index + 1])
            else:
                calls, inc = self.walk_incoming_calls(f.op)
                incomplete |= inc
                for call in calls:
                    values = call.results if f.across == Across.CALLER_RESULT else call.operands
                    out.extend(values[f.index:f.index + 1])
        return out, incomplete

    # ------------------------------------------------------------- incoming values
    def incoming(self, arg: BlockArgument) -> tuple[list[Value], bool]:
        """Values that flow into a block argument (spec 2.1), and the INCOMPLETE flag."""
        sources = optable.block_arg_sources(arg)
        if sources is None:
            return [], True  # entry of an op whose region flows are unknown
        return self.resolve(sources)

    # ------------------------------------------------------------- one step of a walk
    def expand_definition(self, r: OpResult, follow_ties: bool) -> tuple[list[Value], bool]:
        """Where walkDefiningOps goes after reporting `r` (answered ADVANCE), and INCOMPLETE."""
        owner = r.owner
        row = optable.info(owner)
        if not expands_definition(row, follow_ties):
            return [], False  # nothing past this result (most ops)
        out: list[Value] = []
        incomplete = False
        if follow_ties:
            tied = optable.tied_operand(owner, r.index)
            if tied is not None:
                out.append(owner.operands[tied])
        if row.is_call:
            values, incomplete = self.resolve(optable.result_sources(r))
            out.extend(values)
        if row.role == Role.GLOBAL_LOAD:
            gi = self.global_info(owner)
            if gi is None or gi.is_indirect:
                incomplete = True
            else:
                out.extend(store.operands[0] for store in gi.stores if store.operands)
        if row.region_branch is not None:
            # Seed quirk Q8: what the terminator of each region's first block forwards, whether
            # or not it returns to the parent (an scf.while's after-region yield does not).
            for region in owner.regions:
                last = region.blocks[0].terminator if region.blocks else None
                if last is not None:
                    forwarded = optable.forwarded_operands(last)
                    if r.index < len(forwarded):
                        out.append(forwarded[r.index])
        return out, incomplete

    def expand_use(self, use: Use, follow_ties: bool) -> tuple[list[Value], bool]:
        """Where walkTransitiveUses goes after reporting `use`, and INCOMPLETE."""
        op, idx = use.owner, use.index
        row = optable.info(op)
        if not expands_use(row, follow_ties):
            return [], False  # a use that forwards nowhere (most ops)
        out: list[Value] = []
        incomplete = False
        if follow_ties and row.ties != Ties.NONE:
            out.extend(op.results[r] for r in optable.tied_results(op, idx))
        if not row.has_flows:
            pass
        elif row.region_branch is not None:
            # Seed quirk Q7: the raw operand index into each entry successor's inputs.
            for inputs in optable.entry_successor_inputs(op):
                if idx < len(inputs):
                    out.append(inputs[idx])
        elif (term := row.terminator) is not None and term.return_like \
                and (parent := op.parent_op) is not None \
                and not optable.info(parent).is_function:
            # Seed quirk Q9: a return-like terminator goes to its parent's result idx, even
            # from an scf.while after region (really the before region's arguments).
            if idx < len(parent.results):
                out.append(parent.results[idx])
        elif term is None or term.return_like:
            # Branches, calls, function returns; a condition is a dead end here (Q10).
            values, incomplete = self.resolve(optable.operand_targets(op, idx))
            out.extend(values)
        if row.role == Role.GLOBAL_STORE:
            gi = self.global_info(op)
            if gi is None or gi.is_indirect:
                incomplete = True
            else:
                for load in gi.loads:
                    out.extend(load.results[:1])
        return out, incomplete

    # ------------------------------------------------------------- walks
    def walk_defining_ops(self, value: Value, fn: Callable[[OpResult], Walk],
                          follow_ties: bool) -> bool:
        """Report each op result that may define `value` (spec 2.2). Returns INCOMPLETE."""
        if isinstance(value, OpResult):
            row = optable.info(value.owner)
            if row.constant_like:
                fn(value)
                return False
            expands = row.is_call or row.role == Role.GLOBAL_LOAD or row.region_branch is not None
            if not row.ignored_by_explorer and not expands and (
                    not follow_ties or optable.tied_operand(value.owner, value.index) is None):
                # Nothing to expand past this result: the walk reports it alone.
                fn(value)
                return False
        incomplete = False
        worklist: list[Value] = [value]
        processed: set[int] = set()
        while worklist:
            v = worklist.pop()
            if id(v) in processed:
                continue
            processed.add(id(v))
            if isinstance(v, BlockArgument):
                vals, inc = self.incoming(v)
            else:
                assert isinstance(v, OpResult)
                if optable.info(v.owner).ignored_by_explorer or fn(v) == Walk.SKIP:
                    continue
                vals, inc = self.expand_definition(v, follow_ties)
            incomplete |= inc
            worklist.extend(vals)
        return incomplete

    def walk_transitive_uses(self, value: Value, fn: Callable[[Use], object],
                             follow_ties: bool) -> bool:
        """Report every use of `value` and of what it flows into (spec 2.3). Returns INCOMPLETE."""
        incomplete = False
        worklist: list[Value] = [value]
        processed: set[tuple[int, int]] = set()
        while worklist:
            v = worklist.pop()
            for use in v.uses:
                key = (id(use.owner), use.index)
                if key in processed:
                    continue
                processed.add(key)
                if optable.info(use.owner).ignored_by_explorer:
                    continue
                fn(use)
                vals, inc = self.expand_use(use, follow_ties)
                incomplete |= inc
                worklist.extend(vals)
        return incomplete

    def outgoing_branch_arguments(self, branch: Operation, idx: int) -> list[BlockArgument]:
        """Successor block arguments fed by operand `idx` of a branch op (spec 2.4)."""
        return [t for t in optable.operand_targets(branch, idx) if isinstance(t, BlockArgument)] \
            if optable.info(branch).is_branch else []


def _terminators(regions: Iterable[Region]) -> list[Operation]:
    """Terminators of every block of the given regions."""
    return [block.terminator for region in regions for block in region.blocks
            if block.terminator is not None]


S = TypeVar("S")


class SccSummary(Generic[S]):
    """Memoized summaries of walks: what a walk from `v` reports, combined, for every start.

    `step(v)` gives v's own part and the values the walk goes to from v; `combine(parts)`
    joins parts in order (it must return a single part unchanged). The summary of v is
    `combine([own(v), summary(w) for each w in order])`; strongly connected parts of the walk
    graph (call cycles, loops) are found once by an iterative Tarjan search and share one
    answer, combined from their members' parts in discovery order. Summarizing every value
    of a module is then linear in the walk graph, where one walk per value is quadratic.
    """

    def __init__(self, step: Callable[[Value], tuple[S, list[Value]]],
                 combine: Callable[[list[S]], S]) -> None:
        self.step = step
        self.combine = combine
        self.memo: dict[int, S] = {}

    def __call__(self, start: Value) -> S:
        """The summary of the walk from `start`."""
        memo = self.memo
        found = memo.get(id(start))
        if found is not None:
            return found
        own, nexts = self.step(start)
        if not nexts:
            memo[id(start)] = own
            return own
        # Most values step only to summarized values: no search needed.
        parts = [own]
        for w in nexts:
            done = memo.get(id(w))
            if done is None or w is start:
                return self._search(start, own, nexts)
            parts.append(done)
        total = self.combine(parts)
        memo[id(start)] = total
        return total

    def _search(self, start: Value, own: S, nexts: list[Value]) -> S:
        """Tarjan's search from `start` (its step given), memoizing every finished component."""
        memo, step, combine = self.memo, self.step, self.combine
        index: dict[int, int] = {}
        low: dict[int, int] = {}
        parts: dict[int, list[S]] = {}
        stack: list[int] = []
        on_stack: set[int] = set()
        frames: list[tuple[int, Iterator[Value]]] = []
        k = id(start)
        while True:
            # Push k (its step is own, nexts).
            index[k] = low[k] = len(index)
            parts[k] = [own]
            stack.append(k)
            on_stack.add(k)
            frames.append((k, iter(nexts)))
            pushed = False
            while frames and not pushed:
                k, it = frames[-1]
                for w in it:
                    kw = id(w)
                    done = memo.get(kw)
                    if done is not None:
                        parts[k].append(done)
                    elif kw not in index:
                        own, nexts = step(w)
                        k = kw
                        pushed = True
                        break
                    elif kw in on_stack:
                        low[k] = min(low[k], index[kw])
                if pushed:
                    break
                frames.pop()
                if frames:
                    kp = frames[-1][0]
                    low[kp] = min(low[kp], low[k])
                if low[k] != index[k]:
                    continue
                members = []
                while True:
                    kw = stack.pop()
                    on_stack.discard(kw)
                    members.append(kw)
                    if kw == k:
                        break
                pieces = [p for kw in reversed(members) for p in parts.pop(kw)]
                total = pieces[0] if len(pieces) == 1 else combine(pieces)
                for kw in members:
                    memo[kw] = total
                if frames:  # the parent reads the finished component's answer
                    parts[frames[-1][0]].append(total)
            if not pushed:
                return memo[id(start)]


Answer = tuple[tuple[OpResult, ...], bool]


class DefiningSummary(SccSummary[Answer]):
    """Memoized walkDefiningOps (ties not followed): the reported results `keep` accepts and
    the INCOMPLETE flag, for every start value, in linear total time.

    A walk per value would be quadratic on long call chains (each producer walk crosses
    every call below it). Results are in discovery order, each once; the callback answers
    ADVANCE throughout (the producer rule never skips).
    """

    def __init__(self, explorer: Explorer, keep: Callable[[OpResult], bool]) -> None:
        super().__init__(self._step_def, _union)
        self.explorer = explorer
        self.keep = keep

    def _step_def(self, v: Value) -> tuple[Answer, list[Value]]:
        ex = self.explorer
        if isinstance(v, BlockArgument):
            vals, inc = ex.incoming(v)
            return ((), inc), vals
        assert isinstance(v, OpResult)
        row = optable.info(v.owner)
        if row.ignored_by_explorer:
            return ((), False), []
        own = (v,) if self.keep(v) else ()
        if ex.plain_expansion and not expands_definition(row, False):
            return (own, False), []
        vals, inc = ex.expand_definition(v, False)
        return (own, inc), vals


def _union(pieces: list[Answer]) -> Answer:
    """Ordered union of walk answers; an answer that alone carries every item is shared."""
    incomplete = any(inc for _, inc in pieces)
    nonempty = [items for items, _ in pieces if items]
    if not nonempty:
        return (), incomplete
    if len(nonempty) == 1:
        return nonempty[0], incomplete
    merged: dict[int, OpResult] = {}
    for items in nonempty:
        for r in items:
            merged.setdefault(id(r), r)
    return tuple(merged.values()), incomplete


class OrderedDefiningSummary:
    """Memoized walkDefiningOps (ties not followed) that reports exactly what the literal walk
    reports, in its order: the results `keep` accepts and the INCOMPLETE flag.

    The walk is a depth-first search that pops the last value pushed, so from a value whose
    reachable walk graph is acyclic it reports the value, then the walk from its last
    expansion, then from the one before, each without what was already reported. That is a
    first-occurrence union of the expansions' own answers, memoized per value: linear on
    call chains, where one literal walk per value is quadratic. Where the search meets a
    cycle, `__call__` answers None for the start and every value on the search path (the
    caller walks literally there; values finished before stay memoized).
    """

    def __init__(self, explorer: Explorer, keep: Callable[[OpResult], bool]) -> None:
        self.explorer = explorer
        self.keep = keep
        self.memo: dict[int, Answer] = {}
        self.cyclic: set[int] = set()

    def _step(self, v: Value) -> tuple[Answer, list[Value]] | None:
        """What the walk does on popping v: its own report and INCOMPLETE, and what it
        pushes; None where it reports nothing and pushes nothing (ignored ops)."""
        ex = self.explorer
        if isinstance(v, BlockArgument):
            vals, inc = ex.incoming(v)
            return ((), inc), vals
        assert isinstance(v, OpResult)
        if optable.info(v.owner).ignored_by_explorer:
            return None
        vals, inc = ex.expand_definition(v, False)
        return (((v,) if self.keep(v) else ()), inc), vals

    def __call__(self, start: Value) -> Answer | None:
        """The literal walk's answer from `start`, or None where it meets a cycle."""
        if isinstance(start, OpResult):
            row = optable.info(start.owner)
            if row.constant_like or (not row.ignored_by_explorer
                                     and not expands_definition(row, False)):
                # The literal walk reports such a start alone.
                return ((start,) if self.keep(start) else ()), False
        memo, cyclic = self.memo, self.cyclic
        found = memo.get(id(start))
        if found is not None or id(start) in cyclic:
            return found
        on_path: set[int] = set()
        # Frames: value id, the parts of its answer so far, the expansions left (last first).
        frames: list[tuple[int, list[Answer], list[Value]]] = []

        def push(v: Value) -> Answer | None:
            step = self._step(v)
            if step is None:
                return ((), False)
            own, nexts = step
            if not nexts:
                return own
            on_path.add(id(v))
            frames.append((id(v), [own], list(nexts)))
            return None

        done = push(start)
        if done is not None:
            memo[id(start)] = done
            return done
        while frames:
            k, parts, todo = frames[-1]
            pushed = False
            while todo:
                w = todo.pop()
                kw = id(w)
                got = memo.get(kw)
                if got is not None:
                    parts.append(got)
                elif kw in on_path or kw in cyclic:
                    for kp, _, _ in frames:  # every value on the path reaches a cycle
                        cyclic.add(kp)
                    return None
                else:
                    got = push(w)
                    if got is None:
                        pushed = True
                        break
                    memo[kw] = got
                    parts.append(got)
            if pushed:
                continue
            frames.pop()
            on_path.discard(k)
            total = parts[0] if len(parts) == 1 else _union(parts)
            memo[k] = total
            if frames:
                frames[-1][1].append(total)
        return memo[id(start)]

