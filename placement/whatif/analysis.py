"""One module's analysis as the what-if report reads it: per op and global the potential set and
its status, IREE's choice, the cost of IREE's placement (transfers per flow and link, memory per
device) on the `placement place` cost model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from placement import ops as optable
from placement.affinity import default_affinity, explicit_affinity, global_type, requires_affinity
from placement.annotate import solve_module
from placement.ir.core import Module, Operation
from placement.ir.explorer import is_affinity_type, symbol_name
from placement.place.cost import Assignment, Breakdown, evaluate, flow_cost, iree_assignment
from placement.place.problem import Options, Problem, build_problem
from placement.report import short
from placement.solution import Kind, Solution

# Status of an item (what `--iree-stream-annotate-affinities` does with its set).
RESOLVED, AMBIGUOUS, DEFAULTED, FAILED = "resolved", "ambiguous", "defaulted", "failed"


@dataclass
class Item:
    """An op that needs an affinity, or a tensor global."""

    key: str  # stable across the base and the edited module: `@global` or `LINE:COL`
    kind: str  # "op" | "global"
    label: str
    subject: Operation
    status: str
    devices: list[str]  # the potential set (short names), empty when failed
    iree: str | None  # IREE's lead affinity (first of the printed list), None when failed
    explicit: bool


@dataclass
class Transfer:
    """Bytes of one value moved over one link under IREE's rule."""

    value: str
    source: str
    target: str
    bytes: int


@dataclass
class Analysis:
    """Everything the report compares between the base and the edited module."""

    module: Module
    solution: Solution
    items: dict[str, Item]
    problem: Problem
    place: Assignment
    cost: Breakdown
    transfers: list[Transfer] = field(default_factory=list)
    default: str | None = None

    def memory(self) -> dict[str, int]:
        """Bytes per device (short name) under the placement analysed."""
        out: dict[str, int] = {}
        for k, name in enumerate(self.problem.names):
            out[name] = out.get(name, 0) + self.cost.memory[k]
        return out

    def links(self) -> dict[tuple[str, str], int]:
        """Bytes per directed link (short names)."""
        out: dict[tuple[str, str], int] = {}
        for (a, b), n in self.cost.link_bytes.items():
            key = (self.problem.names[a], self.problem.names[b])
            out[key] = out.get(key, 0) + n
        return out


def item_key(op: Operation) -> str:
    """`@global` for a global, `LINE:COL` of the base text for an op (new ops: `new@id`)."""
    if optable.info(op).role == optable.Role.GLOBAL:
        return symbol_name(op) or f"new@{id(op)}"
    return f"{op.loc.line}:{op.loc.col}" if op.loc.line else f"new@{id(op)}"


def _label(op: Operation) -> str:
    if optable.info(op).role == optable.Role.GLOBAL:
        return symbol_name(op) or op.name
    names = ", ".join(r.name for r in op.results)
    head = f"{names} = {op.name}" if names else op.name
    if op.symbols:
        head += " " + op.symbols[0]
    return head


def make_item(module: Module, solution: Solution, op: Operation, kind: Kind) -> Item:
    """The item of `op` (kind O) or of a global (kind G) under `solution`."""
    state = solution.get(kind, op)
    default = default_affinity(module, op)
    if state is None or not state.valid:
        status, devices = FAILED, []
    elif state.devices:
        devices = state.sorted()
        status = RESOLVED if len(devices) == 1 else AMBIGUOUS
    elif default is not None:
        status, devices = DEFAULTED, [default]
    else:
        status, devices = FAILED, []
    key = item_key(op)
    return Item(key, "global" if kind == Kind.G else "op", _label(op), op, status,
                [short(d) for d in devices], short(devices[0]) if devices else None,
                explicit_affinity(module, op) is not None)


def collect_items(module: Module, solution: Solution) -> dict[str, Item]:
    """Every op that needs an affinity (spec 7.2) and every affinity-typed global."""
    items: dict[str, Item] = {}
    for top in module.top_level_ops():
        row = optable.info(top)
        if row.role == optable.Role.GLOBAL:
            if is_affinity_type(global_type(top)) and requires_affinity(top):
                it = make_item(module, solution, top, Kind.G)
                items[it.key] = it
        elif row.role == optable.Role.FUNCTION:
            for x in top.walk():
                xrow = optable.info(x)
                if x is not top and xrow.affinity_aware and xrow.role != optable.Role.FUNCTION \
                        and requires_affinity(x):
                    it = make_item(module, solution, x, Kind.O)
                    items[it.key] = it
    return items


def analyze(module: Module, options: Options, place: Assignment | None = None) -> Analysis:
    """Solve `module` and cost its placement (IREE's rule, or `place` when given)."""
    solution = solve_module(module, "fixpoint")
    problem = build_problem(module, solution, options)
    return costed(module, solution, collect_items(module, solution), problem,
                  default_affinity(module, module.root), place)


def costed(module: Module, solution: Solution, items: dict[str, Item], problem: Problem,
           default: str | None, place: Assignment | None = None) -> Analysis:
    """The analysis of a solved module: its placement (IREE's rule, or `place`) costed."""
    chosen = place if place is not None else iree_assignment(problem)
    cost = evaluate(problem, chosen)
    out = Analysis(module, solution, items, problem, chosen, cost, default=default)
    for f, flow in enumerate(problem.flows):
        moved: dict[tuple[int, int], int] = {}
        flow_cost(problem, chosen, f, moved)
        for (a, b), n in sorted(moved.items()):
            out.transfers.append(Transfer(flow.label, problem.names[a], problem.names[b], n))
    return out
