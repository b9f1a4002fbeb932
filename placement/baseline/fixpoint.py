"""The reference engine: element closure, then a two-stratum worklist least fixpoint (spec 6.1).

1. Build every element reachable from the seeds through the rules' reads (structural).
2. Stratum 1: propagate invalidity backwards over unguarded reads.
3. Stratum 2: propagate device memberships; a guarded read passes only from a valid element.

Device sets are bitsets (Python ints) over a module-wide device index, so each propagation step
is one OR. Nothing depends on dict/set iteration order of unordered keys or on hash seeds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from placement.ir.core import Module
from placement.ir.explorer import Explorer
from placement.solution import Kind, Solution, State, Subject

from .rules import Key, Reads, SeedRules

_NONE: tuple[Any, ...] = ()  # the shared empty edge list (most elements read or are read by few)


@dataclass(eq=False, slots=True)
class Element:
    """One element: what it reads, who reads it, and its state.

    `reads` and `readers` start as the shared empty tuple and become lists on their first
    edge (most elements have no readers or no reads: two empty lists each would double the
    graph's memory)."""

    kind: Kind
    subject: Subject
    fixed: str | None = None
    incomplete: bool = False
    reads: Sequence[tuple[Element, bool]] = _NONE
    readers: Sequence[tuple[Element, bool]] = _NONE
    invalid: bool = False
    bits: int = 0
    facts: Sequence[str] = ()  # constant affinities joined (3.13)
    lazy: Sequence[Element] = ()  # sources read lazily (3.13)
    early_invalid: bool = False  # invalid without a lazy read (3.13)


@dataclass
class ElementGraph:
    """The structural closure: all elements and their read edges."""

    elements: list[Element]
    by_key: dict[tuple[Kind, int], Element]
    devices: list[str]
    absorb_invalid_guarded: bool = False  # see SeedRules.absorb_invalid_guarded


def build_graph(module: Module, rules: SeedRules) -> ElementGraph:
    """Create the seeds and close them under the rules' reads."""
    by_key: dict[tuple[Kind, int], Element] = {}
    elements: list[Element] = []
    pending: list[Element] = []
    rule_of: dict[Kind, Callable[[Any], Reads]] = {
        Kind.P: rules.producer, Kind.C: rules.consumer, Kind.G: rules.global_,
        Kind.O: rules.execution}
    fixed_of = rules.fixed
    memo: dict[int, str | None] = {}  # explicit affinities of ops and their parents
    devices: set[str] = set()  # the fixed affinities and joined facts
    kind_o, kind_g = Kind.O, Kind.G

    def element(key: Key) -> Element:
        kind, subject = key
        k = (kind, id(subject))
        e = by_key.get(k)
        if e is None:
            e = by_key[k] = Element(kind, subject)
            elements.append(e)
            pending.append(e)
        return e

    for key in rules.seeds():
        element(key)
    pop, push, add = pending.pop, pending.append, elements.append
    while pending:
        e = pop()
        kind = e.kind
        if kind is kind_o or kind is kind_g:
            fixed = fixed_of(kind, e.subject, memo)
            if fixed is not None:
                e.fixed = fixed
                devices.add(fixed)
                continue
        reads = rule_of[kind](e.subject)
        if reads.incomplete:
            e.incomplete = True
        if reads.facts:
            e.facts = reads.facts
            devices.update(reads.facts)
        if reads.lazy:
            e.lazy = [element(key) for key in reads.lazy]
        found = reads.reads
        if not found:
            continue
        ereads: list[tuple[Element, bool]] = []
        # Each (source, guarded) once, in first-read order (reads lists are short).
        seen: set[tuple[int, bool]] | None = set() if len(found) > 8 else None
        for (skind, subject), guarded in found:
            k = (skind, id(subject))
            src = by_key.get(k)
            if src is None:
                src = by_key[k] = Element(skind, subject)
                add(src)
                push(src)
            elif src is e:
                continue
            edge = (src, guarded)
            if seen is None:
                if edge in ereads:
                    continue
            else:
                sk = (id(src), guarded)
                if sk in seen:
                    continue
                seen.add(sk)
            ereads.append(edge)
            readers = src.readers
            if readers:
                readers.append((e, guarded))  # type: ignore[attr-defined]
            else:
                src.readers = [(e, guarded)]
        if ereads:
            e.reads = ereads
    return ElementGraph(elements, by_key, sorted(devices, key=str.encode),
                        rules.absorb_invalid_guarded)


def solve_graph(graph: ElementGraph) -> None:
    """Least fixpoint of spec 6.1 on the graph, in place."""
    index = {d: i for i, d in enumerate(graph.devices)}
    # Stratum 1: validity.
    stack = [e for e in graph.elements if e.fixed is None and e.incomplete]
    for e in stack:
        e.invalid = True
    while stack:
        e = stack.pop()
        for reader, guarded in e.readers:
            if not guarded and not reader.invalid and reader.fixed is None:
                reader.invalid = True
                stack.append(reader)
    # Stratum 2: membership.
    stack = []
    for e in graph.elements:
        if e.fixed is not None:
            e.bits = 1 << index[e.fixed]
            stack.append(e)
        elif e.facts:
            for d in e.facts:
                e.bits |= 1 << index[d]
            stack.append(e)
    if graph.absorb_invalid_guarded:
        _early_invalid(graph)
    while stack:
        e = stack.pop()
        if e.early_invalid:
            continue  # 3.13: invalid from its first update, it never held a device
        bits = e.bits
        for reader, guarded in e.readers:
            if reader.fixed is not None or (guarded and e.invalid
                                            and not graph.absorb_invalid_guarded):
                continue
            merged = reader.bits | bits
            if merged != reader.bits:
                reader.bits = merged
                stack.append(reader)


def _early_invalid(graph: ElementGraph) -> None:
    """Mark the invalid elements whose invalidity needs no lazy read (stratum 1 without the
    lazy edges): IREE 3.13 sees them invalid at their first update."""
    stack = [e for e in graph.elements if e.invalid and e.incomplete]
    for e in stack:
        e.early_invalid = True
    while stack:
        e = stack.pop()
        for reader, guarded in e.readers:
            if not guarded and reader.invalid and not reader.early_invalid \
                    and not any(src is e for src in reader.lazy):
                reader.early_invalid = True
                stack.append(reader)


def run_fixpoint(module: Module, explorer: Explorer | None = None,
                 rules_class: type[SeedRules] = SeedRules) -> Solution:
    """Run the reference engine on a module and return every element's final state."""
    explorer = explorer or Explorer(module)
    graph = build_graph(module, rules_class(module, explorer))
    solve_graph(graph)
    return graph_solution(graph)


def graph_solution(graph: ElementGraph) -> Solution:
    """The Solution of a solved graph: each element's final state."""
    solution = Solution("fixpoint")
    devices = graph.devices
    invalid = State(False)
    states: dict[int, State] = {}  # one State per distinct device set
    for e in graph.elements:
        if not e.invalid and e.bits not in states:
            bits = e.bits
            states[bits] = State(True, frozenset(
                devices[i] for i in range(len(devices)) if bits >> i & 1))
    # As Solution.set per element, in element order (the keys of `by_key` are in it).
    items = graph.by_key.items()
    solution.subjects = {k: e.subject for k, e in items}
    solution.states = {k: invalid if e.invalid else states[e.bits] for k, e in items}
    return solution
