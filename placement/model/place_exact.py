"""The exact minimum of one independent part by variable elimination (docs/place.md, "Solver").

Without budgets, balance or a change cap, the cost of a part (free groups linked by flows) is a
sum of *factors*: one per flow, a function of the free groups among its endpoints (the cost of
that flow, placement.place.cost.flow_cost), and one per group (its replica storage, and the
number of its decisions that leave IREE's choice, the tie-break). Dataflow graphs are close to
trees, so eliminating one group at a time (bucket elimination: add the factors that mention it,
minimize it out, keep the minimizing choice as a table of the rest) stays small: the group
eliminated next is the one whose combined table is smallest (ties: the first group). When
every table stays within `TABLE_LIMIT` entries the result is the exact optimum; otherwise the
caller falls back to CP-SAT. Values are `cost * scale + changes`, so equal costs resolve
toward the fewest changes (then the first candidate), as in the CP-SAT model.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from placement.place.cost import Assignment, devices_of, group_choices
from placement.place.problem import Endpoint, Problem

TABLE_LIMIT = 1 << 18  # entries of the largest table the elimination may build

Table = npt.NDArray[np.int64]


@dataclass
class _Factor:
    scope: tuple[int, ...]  # local variable indices, increasing
    table: Table  # one axis per scope variable (its choices, in group_choices order)


class _Part:
    def __init__(self, problem: Problem, groups: list[int], flows: list[int],
                 place: Assignment) -> None:
        self.p = problem
        self.groups = groups
        self.flows = flows
        self.place = place
        self.local = {g: k for k, g in enumerate(groups)}
        self.choices = [group_choices(problem, g) for g in groups]
        n = len(problem.devices)
        self.n = n
        # Device sets of every choice as 0/1 rows: member[v][c, d].
        self.member = []
        for cs in self.choices:
            m = np.zeros((len(cs), n), dtype=bool)
            for c, devs in enumerate(cs):
                m[c, list(devs)] = True
            self.member.append(m)

    def var(self, end: Endpoint) -> int | None:
        kind, i = end
        if kind != "dec":
            return None
        return self.local.get(self.p.decisions[i].group)

    def shape(self, scope: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(len(self.choices[v]) for v in scope)

    def flow_factor(self, f: int, scale: int) -> _Factor | None:
        """The cost of flow `f` as a table over its free endpoints (None: too large)."""
        flow = self.p.flows[f]
        scope = tuple(sorted({v for e in [flow.source, *flow.consumers]
                              if (v := self.var(e)) is not None}))
        shape = self.shape(scope)
        if math.prod(shape) > TABLE_LIMIT:
            return None
        k = len(scope)
        axis = {v: i for i, v in enumerate(scope)}
        n = self.n

        def rows(end: Endpoint) -> npt.NDArray[np.bool_]:
            """Device membership of an endpoint, broadcastable to shape + (n,)."""
            v = self.var(end)
            if v is None:
                m = np.zeros(n, dtype=bool)
                m[list(devices_of(self.place, end))] = True
                return m.reshape((1,) * k + (n,))
            dims = [1] * k + [n]
            dims[axis[v]] = len(self.choices[v])
            return self.member[v].reshape(dims)

        needed = np.zeros((1,) * k + (n,), dtype=bool)
        for c in flow.consumers:
            needed = needed | rows(c)
        # What receiving on d costs for each placement of the source: 0 where it holds a copy,
        # else bytes times the cheapest link from a copy.
        w = np.array(self.p.weights, dtype=np.int64)
        src = rows(flow.source)
        flat = src.reshape(-1, n)
        pen = np.zeros((flat.shape[0], n), dtype=np.int64)
        for r in range(flat.shape[0]):
            held = np.flatnonzero(flat[r])
            best = w[held].min(axis=0) if held.size else np.zeros(n, dtype=np.int64)
            pen[r] = np.where(flat[r], 0, best * flow.bytes)
        cost = (needed * pen.reshape(src.shape)).sum(axis=-1, dtype=np.int64) * scale
        return _Factor(scope, np.ascontiguousarray(np.broadcast_to(cost, shape), dtype=np.int64))

    def unary(self, v: int, scale: int) -> _Factor:
        """Replica storage and changes of one group, per choice."""
        g = self.groups[v]
        sw = self.p.options.storage_weight
        values = []
        for devs in self.choices[v]:
            cost = 0
            changes = 0
            for i in self.p.groups[g]:
                d = self.p.decisions[i]
                changes += devs != (d.iree,)
                if d.is_global:
                    cost += sw * d.storage * (len(devs) - 1)
            values.append(cost * scale + changes)
        return _Factor((v,), np.array(values, dtype=np.int64))


def _expand(f: _Factor, scope: tuple[int, ...]) -> Table:
    """`f`'s table with a length-1 axis for every variable of `scope` it does not mention."""
    inside = set(f.scope)
    dims = []
    k = 0
    for v in scope:
        if v in inside:
            dims.append(f.table.shape[k])
            k += 1
        else:
            dims.append(1)
    return f.table.reshape(dims)


def _max_cost(problem: Problem, groups: list[int], flows: list[int]) -> int:
    n = len(problem.devices)
    wmax = max((max(row) for row in problem.weights), default=1)
    total = sum(problem.flows[f].bytes for f in flows) * max(wmax, 1) * n
    sw = problem.options.storage_weight
    for g in groups:
        for i in problem.groups[g]:
            total += sw * problem.decisions[i].storage * n
    return total


def solve_part_exact(problem: Problem, groups: list[int], flows: list[int],
                     place: Assignment) -> tuple[int, int] | None:
    """The exact minimum (cost, changes) of one part, written into `place`; None when a
    table would exceed `TABLE_LIMIT` (place is then unchanged)."""
    part = _Part(problem, groups, flows, place)
    changes_max = sum(len(problem.groups[g]) for g in groups)
    scale = changes_max + 1
    if (_max_cost(problem, groups, flows) + 1) * scale >= 1 << 62:
        scale = 1  # no room for the tie-break
        if _max_cost(problem, groups, flows) >= 1 << 62:
            return None
    factors: list[_Factor | None] = []
    of_var: list[set[int]] = [set() for _ in groups]

    def add(f: _Factor) -> None:
        for v in f.scope:
            of_var[v].add(len(factors))
        factors.append(f)

    for f in flows:
        factor = part.flow_factor(f, scale)
        if factor is None:
            return None
        add(factor)
    for v in range(len(groups)):
        add(part.unary(v, scale))

    def union(v: int) -> tuple[int, ...]:
        out = {v}
        for i in of_var[v]:
            fac = factors[i]
            assert fac is not None
            out.update(fac.scope)
        return tuple(sorted(out))

    def key(v: int) -> int:
        return math.prod(part.shape(union(v)))

    heap = [(key(v), v) for v in range(len(groups))]
    heapq.heapify(heap)
    current = {v: k for k, v in heap}
    alive = set(range(len(groups)))
    records: list[tuple[int, tuple[int, ...], Table]] = []
    while heap:
        size, v = heapq.heappop(heap)
        if v not in alive or current[v] != size:
            continue
        if size > TABLE_LIMIT:
            return None
        scope = union(v)
        combined = np.zeros(part.shape(scope), dtype=np.int64)
        for i in sorted(of_var[v]):
            fac = factors[i]
            assert fac is not None
            combined = combined + _expand(fac, scope)
            for u in fac.scope:
                if u != v:
                    of_var[u].discard(i)
            factors[i] = None
        of_var[v].clear()
        ax = scope.index(v)
        rest = scope[:ax] + scope[ax + 1:]
        records.append((v, rest, np.argmin(combined, axis=ax)))
        add(_Factor(rest, np.min(combined, axis=ax)))
        alive.discard(v)
        for u in rest:
            current[u] = key(u)
            heapq.heappush(heap, (current[u], u))
    total = sum(int(f.table) for f in factors if f is not None and not f.scope)
    pick = [0] * len(groups)
    for v, rest, arg in reversed(records):
        pick[v] = int(arg[tuple(pick[u] for u in rest)])
    for v, g in enumerate(groups):
        for i in problem.groups[g]:
            place[i] = part.choices[v][pick[v]]
    return total // scale, total % scale if scale > 1 else 0
