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


def _scope_dims(f: _Factor, scope: tuple[int, ...]) -> list[int]:
    """The sizes of `f`'s axes over `scope`: 1 for every variable it does not mention."""
    inside = set(f.scope)
    dims = []
    k = 0
    for v in scope:
        if v in inside:
            dims.append(f.table.shape[k])
            k += 1
        else:
            dims.append(1)
    return dims


def _expand(f: _Factor, scope: tuple[int, ...]) -> Table:
    """`f`'s table with a length-1 axis for every variable of `scope` it does not mention."""
    return f.table.reshape(_scope_dims(f, scope))


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


# ---------------------------------------------------------------- cost-versus-storage curves
INF = 1 << 60  # an impossible entry (sums of two stay below 2^63; clipped back after each)


def _minplus(a: Table, b: Table) -> Table:
    """Min-plus convolution along the last (storage) axis; the other axes broadcast."""
    la, lb = a.shape[-1], b.shape[-1]
    if la == 1 or lb == 1:
        return np.minimum(a + b, INF)
    if la < lb:
        a, b, la, lb = b, a, lb, la
    shape = np.broadcast_shapes(a.shape[:-1], b.shape[:-1]) + (la + lb - 1,)
    out = np.full(shape, INF, dtype=np.int64)
    for j in range(lb):
        window = out[..., j:j + la]
        np.minimum(window, a + b[..., j:j + 1], out=window)
    return np.minimum(out, INF)


def _split(arrays: list[Table], total: int, want: int) -> list[int] | None:
    """Storage per array (1-D, min-plus) summing to `total` with values summing to `want`."""
    prefix = [np.zeros(1, dtype=np.int64)]
    for a in arrays:
        prefix.append(_minplus(prefix[-1], a))
    if total >= prefix[-1].shape[0] or int(prefix[-1][total]) != want:
        return None
    out = [0] * len(arrays)
    s, value = total, want
    for k in range(len(arrays) - 1, -1, -1):
        a, before = arrays[k], prefix[k]
        for sk in range(min(s, a.shape[0] - 1) + 1):
            rest = s - sk
            if rest < before.shape[0] and int(a[sk]) < INF \
                    and int(before[rest]) + int(a[sk]) == value:
                out[k] = sk
                s, value = rest, value - int(a[sk])
                break
        else:
            return None
    return out


class PartCurve:
    """The exact cost-versus-storage curve of one part on device `dev` (bucket elimination with
    a storage axis: min-plus convolution where tables meet), and the assignment of any of its
    points. Groups in `forbid` may not use `dev`. Storage is counted in units of the greatest
    common divisor of the part's global sizes."""

    def __init__(self, problem: Problem, groups: list[int], flows: list[int],
                 place: Assignment, dev: int, forbid: set[int]) -> None:
        self.p = problem
        self.groups = groups
        self.place = place
        self.dev = dev
        self.part = _Part(problem, groups, flows, place)
        self.flows = flows
        self.forbid = forbid
        sizes = [self.stored(g) for g in groups]
        self.unit = math.gcd(*sizes) or 1
        self.ok = False
        self.points: list[tuple[int, int, int]] = []  # (storage bytes, cost, changes)
        self._build()

    def stored(self, g: int) -> int:
        return sum(self.p.decisions[i].storage for i in self.p.groups[g]
                   if self.p.decisions[i].is_global)

    def _build(self) -> None:
        p, part, dev = self.p, self.part, self.dev
        changes_max = sum(len(p.groups[g]) for g in self.groups)
        self.scale = scale = changes_max + 1
        if (_max_cost(p, self.groups, self.flows) + 1) * scale >= INF:
            return
        tables: list[_Factor] = []
        of_var: list[set[int]] = [set() for _ in self.groups]
        alive: set[int] = set()

        def add(f: _Factor) -> int:
            k = len(tables)
            for v in f.scope:
                of_var[v].add(k)
            tables.append(f)
            alive.add(k)
            return k

        for f in self.flows:
            factor = part.flow_factor(f, scale)
            if factor is None:
                return
            add(_Factor(factor.scope, factor.table[..., None]))
        for v, g in enumerate(self.groups):
            base = part.unary(v, scale).table
            units = self.stored(g) // self.unit
            on = part.member[v][:, dev]
            if self.groups[v] in self.forbid:
                base = np.where(on, INF, base)
            if units:
                t = np.full((len(base), units + 1), INF, dtype=np.int64)
                for c in range(len(base)):
                    t[c, units if on[c] else 0] = base[c]
            else:
                t = base[:, None].copy()
            add(_Factor((v,), t))

        def union(v: int) -> tuple[tuple[int, ...], int]:
            out = {v}
            length = 1
            for i in of_var[v]:
                out.update(tables[i].scope)
                length += tables[i].table.shape[-1] - 1
            return tuple(sorted(out)), length

        def key(v: int) -> int:
            scope, length = union(v)
            return math.prod(part.shape(scope)) * length

        heap = [(key(v), v) for v in range(len(self.groups))]
        heapq.heapify(heap)
        current = {v: k for k, v in heap}
        done: set[int] = set()
        self.records: list[tuple[int, tuple[int, ...], list[int], int]] = []
        while heap:
            size, v = heapq.heappop(heap)
            if v in done or current[v] != size:
                continue
            if size > TABLE_LIMIT:
                return
            scope, _ = union(v)
            inputs = sorted(of_var[v])
            combined = np.zeros(part.shape(scope) + (1,), dtype=np.int64)
            for i in inputs:
                fac = tables[i]
                combined = _minplus(combined, _expand_curve(fac, scope))
                for u in fac.scope:
                    if u != v:
                        of_var[u].discard(i)
                alive.discard(i)
            of_var[v].clear()
            ax = scope.index(v)
            rest = scope[:ax] + scope[ax + 1:]
            k = add(_Factor(rest, np.min(combined, axis=ax)))
            self.records.append((v, rest, inputs, k))
            done.add(v)
            for u in rest:
                current[u] = key(u)
                heapq.heappush(heap, (current[u], u))
        self.tables = tables
        self.final = sorted(i for i in alive if not tables[i].scope)
        total = np.zeros(1, dtype=np.int64)
        for i in self.final:
            total = _minplus(total, tables[i].table)
        self.total = total
        best: int | None = None
        for s in range(total.shape[0]):  # least storage first: keep strictly cheaper points
            value = int(total[s])
            if value < INF and (best is None or value < best):
                best = value
                self.points.append((s * self.unit, value // scale, value % scale))
        self.points.reverse()  # the cheapest (most storage) first
        self.ok = bool(self.points)

    def assign(self, storage: int) -> None:
        """Write the assignment of the point storing `storage` bytes into `place`."""
        s = storage // self.unit
        tables = self.tables
        target: dict[int, int] = {}
        arrays = [tables[i].table for i in self.final]
        split = _split(arrays, s, int(self.total[s]))
        assert split is not None
        for i, si in zip(self.final, split, strict=True):
            target[i] = si
        pick = [0] * len(self.groups)
        for v, rest, inputs, k in reversed(self.records):
            want_s = target.get(k, 0)
            idx_rest = tuple(pick[u] for u in rest)
            want = int(tables[k].table[idx_rest + (want_s,)])
            for c in range(len(self.part.choices[v])):
                pick[v] = c
                rows = []
                for i in inputs:
                    fac = tables[i]
                    rows.append(fac.table[tuple(pick[u] for u in fac.scope)])
                found = _split(rows, want_s, want)
                if found is not None:
                    for i, si in zip(inputs, found, strict=True):
                        target[i] = si
                    break
            else:
                raise AssertionError("curve back-substitution found no choice")
        for v, g in enumerate(self.groups):
            for i in self.p.groups[g]:
                self.place[i] = self.part.choices[v][pick[v]]


def _expand_curve(f: _Factor, scope: tuple[int, ...]) -> Table:
    """Like `_expand`, keeping the trailing storage axis."""
    return f.table.reshape(_scope_dims(f, scope) + [f.table.shape[-1]])
