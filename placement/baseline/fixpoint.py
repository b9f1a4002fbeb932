"""The reference engine: element closure, then a two-stratum worklist least fixpoint (spec 6.1).

1. Build every element reachable from the seeds through the rules' reads (structural).
2. Stratum 1: propagate invalidity backwards over unguarded reads.
3. Stratum 2: propagate device memberships; a guarded read passes only from a valid element.

Device sets are bitsets (Python ints) over a module-wide device index, so each propagation step
is one OR. Nothing depends on dict/set iteration order of unordered keys or on hash seeds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from placement.ir.core import Module
from placement.ir.explorer import Explorer
from placement.solution import KIND_CODE, KINDS, Kind, Solution, State, Subject

from .rules import SeedRules


@dataclass
class ElementGraph:
    """The structural closure as flat arrays indexed by element number (creation order).

    An edge is one int: `reads[e]` holds `src << 1 | guarded` for each element e reads (in
    read order, without duplicates or self-reads), `readers[s]` holds `e << 1 | guarded` for
    each element reading s. The states (`invalid`, `bits`) are filled by `solve_graph`.
    """

    kinds: list[int]  # KIND_CODE of each element
    subjects: list[Subject]
    fixed: list[str | None]  # explicit affinity of a fixed element
    incomplete: list[bool]
    reads: list[list[int]]
    readers: list[list[int]]
    devices: list[str]
    facts: dict[int, list[str]] = field(default_factory=dict)  # constant affinities (3.13)
    lazy: dict[int, list[int]] = field(default_factory=dict)  # sources read lazily (3.13)
    absorb_invalid_guarded: bool = False  # see SeedRules.absorb_invalid_guarded
    invalid: list[bool] = field(default_factory=list)
    bits: list[int] = field(default_factory=list)
    early_invalid: list[bool] = field(default_factory=list)  # invalid without a lazy read

    def __len__(self) -> int:
        return len(self.kinds)


def build_graph(module: Module, rules: SeedRules) -> ElementGraph:
    """Create the seeds and close them under the rules' reads."""
    number: dict[int, int] = {}  # id(subject) << 2 | kind code -> element
    kinds: list[int] = []
    subjects: list[Subject] = []
    reads_of: list[list[int]] = []
    readers_of: list[list[int]] = []
    pending: list[int] = []
    fixed: list[str | None] = []
    incomplete: list[bool] = []
    code_of = KIND_CODE

    def element(kind: Kind, subject: Subject) -> int:
        code = code_of[kind]
        key = id(subject) << 2 | code
        e = number.get(key)
        if e is None:
            e = number[key] = len(kinds)
            kinds.append(code)
            subjects.append(subject)
            fixed.append(None)
            incomplete.append(False)
            reads_of.append([])
            readers_of.append([])
            pending.append(e)
        return e

    for kind, subject in rules.seeds():
        element(kind, subject)
    facts: dict[int, list[str]] = {}
    lazy: dict[int, list[int]] = {}
    rule_of = (rules.producer, rules.consumer, rules.global_, rules.execution)
    fixed_of = rules.fixed
    while pending:
        e = pending.pop()
        code = kinds[e]
        subject = subjects[e]
        if code >= 2:  # O and G may be fixed by an explicit affinity
            found = fixed_of(KINDS[code], subject)
            if found is not None:
                fixed[e] = found
                continue
        reads = rule_of[code](subject)  # type: ignore[arg-type]
        incomplete[e] = reads.incomplete
        if reads.facts:
            facts[e] = reads.facts
        if reads.lazy:
            lazy[e] = [element(kind, subj) for kind, subj in reads.lazy]
        mine = reads_of[e]
        seen: set[int] = set()
        for kind, subj, guarded in reads.reads:
            src = element(kind, subj)
            edge = src << 1 | guarded
            if src == e or edge in seen:
                continue
            seen.add(edge)
            mine.append(edge)
            readers_of[src].append(e << 1 | guarded)
    devices = sorted({f for f in fixed if f is not None}
                     | {d for found in facts.values() for d in found}, key=str.encode)
    return ElementGraph(kinds, subjects, fixed, incomplete, reads_of, readers_of, devices,
                        facts, lazy, rules.absorb_invalid_guarded)


def solve_graph(graph: ElementGraph) -> None:
    """Least fixpoint of spec 6.1 on the graph, in place."""
    index = {d: i for i, d in enumerate(graph.devices)}
    fixed, readers = graph.fixed, graph.readers
    n = len(fixed)
    # Stratum 1: validity.
    invalid = graph.invalid = [False] * n
    stack = [e for e in range(n) if fixed[e] is None and graph.incomplete[e]]
    for e in stack:
        invalid[e] = True
    while stack:
        e = stack.pop()
        for edge in readers[e]:
            reader = edge >> 1
            if not edge & 1 and not invalid[reader] and fixed[reader] is None:
                invalid[reader] = True
                stack.append(reader)
    # Stratum 2: membership.
    bits = graph.bits = [0] * n
    stack = []
    facts = graph.facts
    for e in range(n):
        f = fixed[e]
        if f is not None:
            bits[e] = 1 << index[f]
            stack.append(e)
        elif e in facts:
            for d in facts[e]:
                bits[e] |= 1 << index[d]
            stack.append(e)
    absorb = graph.absorb_invalid_guarded
    early = graph.early_invalid = _early_invalid(graph) if absorb else [False] * n
    while stack:
        e = stack.pop()
        if early[e]:
            continue  # 3.13: invalid from its first update, it never held a device
        mine = bits[e]
        passes_guarded = not invalid[e] or absorb
        for edge in readers[e]:
            reader = edge >> 1
            if fixed[reader] is not None or (edge & 1 and not passes_guarded):
                continue
            merged = bits[reader] | mine
            if merged != bits[reader]:
                bits[reader] = merged
                stack.append(reader)


def _early_invalid(graph: ElementGraph) -> list[bool]:
    """The invalid elements whose invalidity needs no lazy read (stratum 1 without the lazy
    edges): IREE 3.13 sees them invalid at their first update."""
    invalid, lazy = graph.invalid, graph.lazy
    early = [False] * len(invalid)
    stack = [e for e in range(len(invalid)) if invalid[e] and graph.incomplete[e]]
    for e in stack:
        early[e] = True
    while stack:
        e = stack.pop()
        for edge in graph.readers[e]:
            reader = edge >> 1
            if not edge & 1 and invalid[reader] and not early[reader] \
                    and e not in lazy.get(reader, ()):
                early[reader] = True
                stack.append(reader)
    return early


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
    states_out, subjects_out = solution.states, solution.subjects
    devices = graph.devices
    invalid = State(False)
    states: dict[int, State] = {}  # one State per distinct device set
    for e, subject in enumerate(graph.subjects):
        key = (KINDS[graph.kinds[e]], id(subject))
        subjects_out[key] = subject
        if graph.invalid[e]:
            states_out[key] = invalid
            continue
        bits = graph.bits[e]
        state = states.get(bits)
        if state is None:
            members = frozenset(devices[i] for i in range(len(devices)) if bits >> i & 1)
            state = states[bits] = State(True, members)
        states_out[key] = state
    return solution
