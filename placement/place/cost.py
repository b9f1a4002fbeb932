"""The placement cost model, evaluated exactly on a given assignment (docs/place.md).

An assignment gives every decision a tuple of devices: one device, or the replica devices of a
replicable global. Terms (bytes unless weighted):

* transfer: for every flow, each consumer device that holds no copy of the value receives it
  once, from the copy with the cheapest link: `bytes * weight(from, to)`;
* storage: `storage_weight * bytes * (copies - 1)` per replicated global;
* memory per device: the globals stored there plus the largest working set (operand and result
  bytes) of an op placed there; over a `--budget` it adds `over` bytes, minimized first;
* balance: `balance_weight * makespan`, the makespan being the largest per-device sum of work.

The solver objective is `over_weight * over + cost`, `cost = transfer + storage + balance`, with
`over_weight` larger than any cost, so the least over-budget answer always wins.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from placement.place.problem import Endpoint, Problem

Assignment = list[tuple[int, ...]]


@dataclass
class Breakdown:
    """The cost terms of one assignment."""

    transfer: int = 0
    storage: int = 0
    makespan: int = 0
    balance: int = 0
    over: int = 0
    changes: int = 0
    memory: list[int] = field(default_factory=list)
    work: list[int] = field(default_factory=list)
    link_bytes: dict[tuple[int, int], int] = field(default_factory=dict)

    @property
    def cost(self) -> int:
        """Transfer + storage + balance (the part that is not over budget)."""
        return self.transfer + self.storage + self.balance

    def key(self) -> tuple[int, int]:
        """Lexicographic comparison: over-budget bytes first, then cost."""
        return (self.over, self.cost)


def over_weight(problem: Problem) -> int:
    """A weight that makes one byte over budget cost more than any placement's cost."""
    n = len(problem.devices)
    wmax = max((max(row) for row in problem.weights), default=1)
    bound = sum(f.bytes for f in problem.flows) * max(wmax, 1) * n
    bound += problem.options.storage_weight * sum(d.storage for d in problem.decisions) * n
    bound += problem.options.balance_weight * sum(d.work for d in problem.decisions)
    return bound + 1


def devices_of(place: Assignment, end: Endpoint) -> tuple[int, ...]:
    """The devices an endpoint stands on under an assignment."""
    kind, i = end
    return place[i] if kind == "dec" else (i,)


def flow_cost(problem: Problem, place: Assignment, f: int,
              links: dict[tuple[int, int], int] | None = None) -> int:
    """Weighted transfer bytes of one flow."""
    flow = problem.flows[f]
    src = devices_of(place, flow.source)
    needed: set[int] = set()
    for c in flow.consumers:
        needed.update(devices_of(place, c))
    total = 0
    w = problem.weights
    for d in sorted(needed - set(src)):
        best = min(src, key=lambda a: (w[a][d], a))
        total += flow.bytes * w[best][d]
        if links is not None:
            links[(best, d)] = links.get((best, d), 0) + flow.bytes
    return total


def evaluate(problem: Problem, place: Assignment) -> Breakdown:
    """Every term of the cost model for `place` (one entry per decision)."""
    n = len(problem.devices)
    out = Breakdown(memory=[0] * n, work=[0] * n)
    for f in range(len(problem.flows)):
        out.transfer += flow_cost(problem, place, f, out.link_bytes)
    peak = [0] * n
    sw = problem.options.storage_weight
    for d in problem.decisions:
        devs = place[d.index]
        if devs != (d.iree,):
            out.changes += 1
        if d.is_global:
            for x in devs:
                out.memory[x] += d.storage
            out.storage += sw * d.storage * (len(devs) - 1)
        else:
            x = devs[0]
            peak[x] = max(peak[x], d.footprint)
            out.work[x] += d.work
    for x in range(n):
        out.memory[x] += peak[x]
    out.over = sum(max(0, out.memory[x] - limit) for x, limit in problem.budgets.items())
    out.makespan = max(out.work, default=0)
    out.balance = problem.options.balance_weight * out.makespan
    return out


def objective(problem: Problem, b: Breakdown) -> int:
    """The solver's objective value for a breakdown."""
    return over_weight(problem) * b.over + b.cost


def iree_assignment(problem: Problem) -> Assignment:
    """IREE's rule: every decision on its lead affinity."""
    return [(d.iree,) for d in problem.decisions]


def group_choices(problem: Problem, g: int) -> list[tuple[int, ...]]:
    """Every placement of group `g`: one candidate, or any non-empty replica set."""
    d = problem.decisions[problem.groups[g][0]]
    if not d.replicable:
        return [(k,) for k in d.candidates]
    return [c for r in range(1, len(d.candidates) + 1)
            for c in itertools.combinations(d.candidates, r)]


def group_assignment(problem: Problem, choice: dict[int, tuple[int, ...]]) -> Assignment:
    """Expand a per-group choice (free groups only) to every decision; others keep IREE's."""
    place = iree_assignment(problem)
    for g, devs in choice.items():
        for i in problem.groups[g]:
            place[i] = devs
    for d in problem.decisions:
        if len(d.candidates) == 1:
            place[d.index] = d.candidates
    return place
