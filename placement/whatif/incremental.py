"""The incremental re-solve of a scenario whose edits only change attributes.

The base is analysed once (`SharedBase`: its element graph, solved, its items and its
placement problem). A pin, unpin, transfer target or default only changes which elements are
*fixed* (an explicit affinity is looked up on the op and its parents), never what the other
elements read (the rules' reads depend on the IR's structure and the op table only). So:

1. the elements whose fixed affinity changes are those of the edited ops and their nested ops;
   an element that is no longer fixed gets its reads now (creating any element the base never
   needed, closed under the rules as `build_graph` does);
2. only the *region* of elements that read, transitively, one of those (or a new one) can
   change: it is reset and re-solved from its fixed elements and the final states of the
   elements it reads outside itself (which are those of the base: nothing outside the region
   reads into it, so the least fixpoint outside is unchanged);
3. items and placement decisions are recomputed only for the ops whose element changed, or
   whose default lookup an edited `stream.affinity.default` reaches; the devices of the
   problem are recounted from the attributes the edits changed.

Where a changed explicit affinity moves a value's home outside the decisions (a HAL
import/export or another op the cost model does not decide: the flows change), `resolve`
returns None and the caller solves the edited module in full (tests prove both equal).
"""

from __future__ import annotations

import copy
import dataclasses
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from placement import ops as optable
from placement.affinity import affinity_text, default_affinity, explicit_affinity, global_type
from placement.baseline.fixpoint import (
    Element,
    ElementGraph,
    build_graph,
    graph_solution,
    solve_graph,
)
from placement.baseline.rules import Key, Reads, SeedRules
from placement.diagnostics import PlacementError
from placement.ir.core import Module, Operation
from placement.ir.explorer import Explorer, symbol_name
from placement.ops import Role
from placement.place.problem import Decision, Flow, Options, Problem, build_problem
from placement.solution import Kind, Solution, State
from placement.whatif.analysis import Analysis, Item, collect_items, costed, make_item
from placement.whatif.edits import named_devices
from placement.whatif.journal import Journal

DEFAULT_ATTR = "stream.affinity.default"
_OPTIMAL = "#hal.device.optimal<"


@dataclass
class SharedBase:
    """A base module parsed once, with everything a scenario on it re-uses."""

    module: Module
    rules: SeedRules
    graph: ElementGraph
    solution: Solution
    items: dict[str, Item]
    problem: Problem  # built with Options(): weights and budgets are set per scenario
    default: str | None
    texts: Counter[str]  # affinity texts of the module's attributes, with their counts
    device_globals: list[str]  # symbols of the !hal.device globals
    decision_of: dict[int, int]  # id(op) -> decision index
    named: list[str]  # `placement.whatif.edits.named_devices` of the base
    before: dict[tuple[object, ...], Analysis] = field(default_factory=dict)  # per cost inputs

    def analysis(self, options: Options) -> Analysis:
        """The base's analysis under a scenario's cost inputs (memoized)."""
        key = (tuple(sorted(options.budgets.items())), tuple(sorted(options.links.items())))
        found = self.before.get(key)
        if found is None:
            found = self.before[key] = costed(self.module, self.solution, self.items,
                                              with_options(self.module, self.problem, options),
                                              self.default)
        return found


def attribute_texts(module: Module, values: Iterable[str]) -> list[str]:
    """The affinity texts among attribute values (optimal ones excluded), as the placement
    problem counts its devices."""
    out = []
    for value in values:
        text = affinity_text(module, value)
        if text is not None and not text.startswith(_OPTIMAL):
            out.append(text)
    return out


def shared_base(module: Module) -> SharedBase:
    """Analyse a base module once: solve its element graph, collect items, build the problem."""
    rules = SeedRules(module, Explorer(module))
    graph = build_graph(module, rules)
    solve_graph(graph)
    solution = graph_solution(graph)
    problem = build_problem(module, solution, Options())
    texts: Counter[str] = Counter()
    globals_ = []
    for op in module.root.walk():
        texts.update(attribute_texts(module, [*op.attributes.values(),
                                                  *op.syntax_attrs.values()]))
        if optable.info(op).role == Role.GLOBAL and global_type(op).strip() == "!hal.device":
            globals_.append(symbol_name(op) or "")
    return SharedBase(module, rules, graph, solution, collect_items(module, solution), problem,
                      default_affinity(module, module.root), texts, globals_,
                      {id(d.subject): d.index for d in problem.decisions},
                      named_devices(module))


@dataclass
class Resolved:
    """The edited module's solution, items and problem (weights and budgets still base)."""

    solution: Solution
    items: dict[str, Item]
    problem: Problem
    region: int  # elements re-solved
    changed: list[Operation]  # ops whose item or decision was recomputed


class _Region:
    """The re-solve of the elements an edit can reach (see the module docstring)."""

    def __init__(self, base: SharedBase) -> None:
        self.base = base
        self.rules = base.rules
        self.fixed: dict[int, str | None] = {}  # id(element) -> new fixed affinity
        self.reads: dict[int, list[tuple[Element, bool]]] = {}
        self.incomplete: dict[int, bool] = {}
        self.extra_readers: dict[int, list[tuple[Element, bool]]] = {}
        self.new: dict[tuple[Kind, int], Element] = {}
        self.members: dict[int, Element] = {}
        self.invalid: dict[int, bool] = {}
        self.bits: dict[int, int] = {}
        self.devices = list(base.graph.devices)
        self.index = {d: i for i, d in enumerate(self.devices)}
        self._rule: dict[Kind, Callable[[Any], Reads]] = {
            Kind.P: self.rules.producer, Kind.C: self.rules.consumer,
            Kind.G: self.rules.global_, Kind.O: self.rules.execution}

    # ------------------------------------------------------------------ graph view
    def fixed_of(self, e: Element) -> str | None:
        return self.fixed[id(e)] if id(e) in self.fixed else e.fixed

    def reads_of(self, e: Element) -> Sequence[tuple[Element, bool]]:
        return self.reads.get(id(e), e.reads)

    def readers_of(self, e: Element) -> Sequence[tuple[Element, bool]]:
        extra = self.extra_readers.get(id(e))
        return [*e.readers, *extra] if extra else e.readers

    def element(self, key: Key, pending: list[Element]) -> Element:
        kind, subject = key
        k = (kind, id(subject))
        e = self.base.graph.by_key.get(k) or self.new.get(k)
        if e is None:
            e = self.new[k] = Element(kind, subject)
            self.fixed[id(e)] = self.rules.fixed(kind, subject)
            pending.append(e)
        return e

    def refix(self, e: Element, fixed: str | None) -> None:
        """Element `e` is fixed to `fixed` now (None: free, its reads computed)."""
        self.fixed[id(e)] = fixed
        if fixed is None:
            pending = [e]
            while pending:
                x = pending.pop()
                if self.fixed_of(x) is None:
                    self._close(x, pending)

    def _close(self, e: Element, pending: list[Element]) -> None:
        found = self._rule[e.kind](e.subject)
        self.incomplete[id(e)] = found.incomplete
        reads: list[tuple[Element, bool]] = []
        seen: set[tuple[int, bool]] = set()
        for key, guarded in found.reads:
            src = self.element(key, pending)
            if src is e or (id(src), guarded) in seen:
                continue
            seen.add((id(src), guarded))
            reads.append((src, guarded))
            self.extra_readers.setdefault(id(src), []).append((e, guarded))
        self.reads[id(e)] = reads

    # ------------------------------------------------------------------ solve
    def collect(self, starts: list[Element]) -> None:
        """The region: every element reading (transitively) a re-fixed or new element."""
        stack = starts + list(self.new.values())
        for e in stack:
            self.members[id(e)] = e
        while stack:
            e = stack.pop()
            for reader, _ in self.readers_of(e):
                if id(reader) not in self.members:
                    self.members[id(reader)] = reader
                    stack.append(reader)

    def device_bit(self, text: str) -> int:
        i = self.index.get(text)
        if i is None:
            i = self.index[text] = len(self.devices)
            self.devices.append(text)
        return 1 << i

    def solve(self) -> None:
        """Both strata of `solve_graph` on the region, the rest read as constants."""
        assert not self.base.graph.absorb_invalid_guarded  # the seed semantics
        inside = self.members
        invalid = self.invalid
        stack: list[Element] = []
        for key in inside:
            invalid[key] = False
        for key, e in inside.items():
            if self.fixed_of(e) is not None:
                continue
            if self.incomplete.get(key, e.incomplete) or any(
                    not g and id(src) not in inside and src.invalid
                    for src, g in self.reads_of(e)):
                invalid[key] = True
                stack.append(e)
        while stack:
            e = stack.pop()
            for reader, guarded in self.readers_of(e):
                if not guarded and not invalid[id(reader)] and self.fixed_of(reader) is None:
                    invalid[id(reader)] = True
                    stack.append(reader)
        bits = self.bits
        for key, e in inside.items():
            fixed = self.fixed_of(e)
            if fixed is not None:
                bits[key] = self.device_bit(fixed)
            else:
                b = 0
                for src, g in self.reads_of(e):
                    if id(src) not in inside and not (g and src.invalid):
                        b |= src.bits
                bits[key] = b
            if bits[key]:
                stack.append(e)
        while stack:
            e = stack.pop()
            b = bits[id(e)]
            for reader, guarded in self.readers_of(e):
                if self.fixed_of(reader) is not None or (guarded and invalid[id(e)]):
                    continue
                merged = bits[id(reader)] | b
                if merged != bits[id(reader)]:
                    bits[id(reader)] = merged
                    stack.append(reader)

    def state(self, key: int) -> State:
        if self.invalid[key]:
            return State(False)
        b = self.bits[key]
        return State(True, frozenset(d for i, d in enumerate(self.devices) if b >> i & 1))


def resolve(base: SharedBase, journal: Journal) -> Resolved | None:
    """The edited module's analysis from the base's, or None when the cost model's flows
    change (a full solve is then needed; see the module docstring)."""
    module = base.module
    region = _Region(base)
    defaults: list[Operation] = []
    refixed: list[Element] = []
    for op, attrs, props in journal.touched():
        changed = {k for k in {*attrs, *op.attributes} if attrs.get(k) != op.attributes.get(k)}
        changed |= {k for k in {*props, *op.syntax_attrs}
                    if props.get(k) != op.syntax_attrs.get(k)}
        if DEFAULT_ATTR in changed:
            defaults.append(op)
        if changed - {DEFAULT_ATTR}:
            for x in op.walk():
                for kind in (Kind.O, Kind.G):
                    e = base.graph.by_key.get((kind, id(x)))
                    if e is not None and id(e) not in region.fixed:
                        fixed = base.rules.fixed(kind, x)
                        if fixed != e.fixed:
                            refixed.append(e)
                            region.fixed[id(e)] = fixed
    for e in refixed:
        region.refix(e, region.fixed[id(e)])
    region.collect(refixed)
    region.solve()
    solution = Solution("fixpoint", dict(base.solution.states), dict(base.solution.subjects))
    dirty: dict[int, tuple[Operation, Kind]] = {}
    for key, e in region.members.items():
        new = region.state(key)
        solution.set(e.kind, e.subject, new)
        if e.kind in (Kind.O, Kind.G) and (base.solution.get(e.kind, e.subject) != new
                                           or id(e) in region.fixed):
            assert isinstance(e.subject, Operation)
            dirty[id(e.subject)] = (e.subject, e.kind)
    if defaults:
        scopes = {id(op) for op in defaults}
        for it in base.items.values():
            kind = Kind.G if it.kind == "global" else Kind.O
            found = solution.get(kind, it.subject)
            if found is not None and found.valid and not found.devices \
                    and any(id(x) in scopes for x in it.subject.ancestors()):
                dirty[id(it.subject)] = (it.subject, kind)
        for d in base.problem.decisions:
            kind = Kind.G if d.is_global else Kind.O
            found = solution.get(kind, d.subject)
            if (found is None or not found.valid or not found.devices) \
                    and any(id(x) in scopes for x in d.subject.ancestors()):
                dirty[id(d.subject)] = (d.subject, kind)
    for e in refixed:
        if e.kind == Kind.O and id(e.subject) not in base.decision_of:
            return None  # a home outside the decisions moved: the flows change
    items = dict(base.items)
    for op, kind in dirty.values():
        item = make_item(module, solution, op, kind)
        if item.key in items:
            items[item.key] = item
    problem = _patched_problem(base, journal, solution, dirty)
    if problem is None:
        return None
    return Resolved(solution, items, problem, len(region.members),
                    [op for op, _ in dirty.values()])


def _device_texts(base: SharedBase, journal: Journal, solution: Solution) -> list[str]:
    """The problem's devices after the edits, as `build_problem` counts them."""
    module = base.module
    texts = Counter(base.texts)
    for op, attrs, props in journal.touched():
        texts.subtract(attribute_texts(module, [*attrs.values(), *props.values()]))
        texts.update(attribute_texts(module, [*op.attributes.values(),
                                              *op.syntax_attrs.values()]))
    found = {t for t, n in texts.items() if n > 0}
    for state in set(solution.states.values()):
        found.update(d for d in state.devices if not d.startswith(_OPTIMAL))
    named = {_name(t) for t in found}
    found.update(f"#hal.device.affinity<{g}>" for g in base.device_globals if g not in named)
    return sorted(found, key=lambda s: s.encode())


def _name(text: str) -> str:
    from placement.place.problem import device_name

    return device_name(text)


def _patched_problem(base: SharedBase, journal: Journal, solution: Solution,
                     dirty: dict[int, tuple[Operation, Kind]]) -> Problem | None:
    """The base problem with the dirty decisions recomputed and devices re-indexed."""
    module = base.module
    old = base.problem
    devices = _device_texts(base, journal, solution)
    index = {d: i for i, d in enumerate(devices)}
    remap = [index.get(d) for d in old.devices]
    same = devices == old.devices
    every = tuple(i for i, d in enumerate(devices) if not d.startswith(_OPTIMAL))
    decisions: list[Decision] = []
    for d in old.decisions:
        kind = Kind.G if d.is_global else Kind.O
        if same and id(d.subject) not in dirty:
            decisions.append(d)
            continue
        state = solution.get(kind, d.subject)
        if id(d.subject) in dirty or not d.explicit and (
                state is None or not state.valid or not state.devices):
            # recomputed: its candidates are every device, its IREE choice may be the first
            fresh = _decision(module, solution, d, kind, index, every)
            if fresh is None:
                return None
            decisions.append(fresh)
            continue
        iree = remap[d.iree]
        cands = [remap[c] for c in d.candidates]
        if iree is None or None in cands:
            return None
        decisions.append(_moved(d, tuple(sorted({c for c in cands if c is not None})), iree,
                                d.explicit))
    flows = old.flows if same else _remapped_flows(old.flows, remap)
    if flows is None:
        return None
    return dataclasses.replace(old, devices=devices, names=[_name(d) for d in devices],
                               decisions=decisions, flows=flows)


def _decision(module: Module, solution: Solution, d: Decision, kind: Kind,
              index: dict[str, int], every: tuple[int, ...]) -> Decision | None:
    """A decision's candidates and IREE choice under the new solution (as `build_problem`)."""
    op = d.subject
    explicit = explicit_affinity(module, op)
    state = solution.get(kind, op)
    default = default_affinity(module, op)
    texts = [t for t in (explicit, default) if t is not None]
    if state is not None:
        texts += list(state.devices)
    if any(t not in index for t in texts):
        return None
    if explicit is not None:
        candidates: tuple[int, ...] = (index[explicit],)
        iree = candidates[0]
    else:
        if state is None or not state.valid or not state.devices:
            candidates = every
        else:
            candidates = tuple(sorted(index[t] for t in state.devices))
        if state is not None and state.valid and state.devices:
            iree = index[state.sorted()[0]]
        elif default is not None:
            iree = index[default]
        else:
            iree = candidates[0]
    if iree not in candidates:
        candidates = tuple(sorted(set(candidates) | {iree}))
    return _moved(d, candidates, iree, explicit is not None)


def _moved(d: Decision, candidates: tuple[int, ...], iree: int, explicit: bool) -> Decision:
    """A copy of a base decision with new candidates and choice (the base one is shared)."""
    out = copy.copy(d)
    out.candidates, out.iree, out.explicit = candidates, iree, explicit
    return out


def _remapped_flows(flows: list[Flow], remap: list[int | None]) -> list[Flow] | None:
    out = []
    for f in flows:
        ends = [f.source, *f.consumers]
        if all(kind == "dec" for kind, _ in ends):
            out.append(f)
            continue
        moved = []
        for kind, i in ends:
            j = remap[i] if kind == "dev" else i
            if j is None:
                return None
            moved.append((kind, j))
        out.append(Flow(f.label, f.bytes, moved[0], sorted(moved[1:])))
    return out


def with_options(module: Module, problem: Problem, options: Options) -> Problem:
    """The problem under a scenario's cost inputs: link weights and budgets (as
    `build_problem` sets them)."""
    from placement.place.problem import link_weights

    budgets: dict[int, int] = {}
    for name, limit in options.budgets.items():
        matched = [i for i, n in enumerate(problem.names) if n == "@" + name]
        if not matched:
            raise PlacementError(f"--budget names @{name}, which is not a device of the module "
                                 f"(devices: {', '.join(sorted(set(problem.names)))})",
                                 "--budget")
        for i in matched:
            budgets[i] = limit
    weights = link_weights(module, problem.devices, problem.names, options)
    return dataclasses.replace(problem, weights=weights, budgets=budgets, options=options)
