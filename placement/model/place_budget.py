"""An exact solve of a budget on one device by decomposition (docs/place.md, "Solver").

Without balance, a change cap or strict budgets, a budget on one device `b` couples the
independent parts (free groups linked by flows) only through the memory of `b`: the bytes of
the globals stored there plus the peak working set of the ops placed there,
`memory = fixed + sum over parts of storage_k + peak`. The peak is one of finitely many
*levels* (the largest working set of an op fixed on `b`, or that of a free op that may run
there). For a level `P`, every free op with a larger working set is kept off `b` and memory is
`fixed + P + sum_k storage_k`, a sum over parts. Per level:

* each part that can store bytes on `b` gets its exact cost-versus-storage curve
  (`PartCurve`: bucket elimination with a storage axis); a part that cannot keeps its least
  cost under the level's restriction;
* a multiple-choice covering knapsack over the curves (a dynamic programme over the storage
  removed from each part's cheapest point, kept as a Pareto frontier, exact for any byte
  sizes) picks one point per part. Over-budget bytes are minimized first: when even the least
  storage exceeds what the level leaves, every curve takes its least storage.

The best level wins (levels are tried from the least restricted; a level whose restricted,
unbudgeted optimum cannot beat the best found ends the search, since lower levels only add
restrictions). Every value is exact, so the result is OPTIMAL: the objective is evaluated on
the assignment (placement.place.cost), the bound is the best level's value. When a table
would exceed the elimination's limit, the caller falls back to the coupled CP-SAT model.
Ties: fewest changes from IREE's choice, then the first point and level found.
"""

from __future__ import annotations

import time

from placement.model.place_cpsat import SolveResult
from placement.model.place_exact import PartCurve
from placement.place.cost import Assignment, evaluate, group_choices, objective, over_weight
from placement.place.problem import Problem

Value = tuple[int, int]  # (cost, changes), compared lexicographically


def _cover(options: list[list[tuple[int, Value, int]]],
           need: int) -> tuple[Value, list[int]] | None:
    """Multiple-choice covering knapsack: one option (removed bytes, value, tag) per part,
    removed bytes summing to at least `need`, least total value. Exact: a dynamic programme
    over the removed bytes (capped at `need`), kept as a Pareto frontier. Returns the value
    and the chosen tag per part."""
    frontier: dict[int, tuple[Value, object]] = {0: ((0, 0), None)}
    for opts in options:
        nxt: dict[int, tuple[Value, object]] = {}
        for removed, (value, back) in frontier.items():
            for r, v, tag in opts:
                key = min(need, removed + r)
                total = (value[0] + v[0], value[1] + v[1])
                old = nxt.get(key)
                if old is None or total < old[0]:
                    nxt[key] = (total, (tag, back))
        frontier = {}
        best: Value | None = None
        for key in sorted(nxt, reverse=True):  # useless: one that removes more costs no more
            value, back = nxt[key]
            if best is None or value < best:
                frontier[key] = (value, back)
                best = value
    if need not in frontier:
        return None
    value, back = frontier[need]
    tags: list[int] = []
    while back is not None:
        assert isinstance(back, tuple)
        tags.append(back[0])
        back = back[1]
    return value, tags[::-1]


def _stores(problem: Problem, g: int, dev: int) -> bool:
    return any(dev in c for c in group_choices(problem, g)) and any(
        problem.decisions[i].is_global and problem.decisions[i].storage
        for i in problem.groups[g])


def solve_one_budget(problem: Problem, free: SolveResult, start: float) -> SolveResult | None:
    """The exact decomposed solve (module docstring), or None when it does not apply (more
    than one budget, a part too wide for exact elimination)."""
    if len(problem.budgets) != 1 or free.place is None or not free.parts \
            or free.objective is None:
        return None
    ((dev, limit),) = problem.budgets.items()
    fixed = 0
    peak_fixed = 0
    for d in problem.decisions:
        if len(d.candidates) == 1 and d.candidates[0] == dev:
            if d.is_global:
                fixed += d.storage
            else:
                peak_fixed = max(peak_fixed, d.footprint)
    # Per part: the groups that can store on the device, and the working sets of its free ops
    # that may run there and exceed the fixed peak.
    parts = []
    for groups, flows, part in free.parts:
        feet = sorted({d.footprint for g in groups for i in problem.groups[g]
                       if not (d := problem.decisions[i]).is_global
                       and dev in d.candidates and d.footprint > peak_fixed})
        stores = any(_stores(problem, g, dev) for g in groups)
        parts.append((groups, flows, part, feet, stores))
    levels = sorted({peak_fixed} | {f for *_, feet, _ in parts for f in feet}, reverse=True)
    offset = free.objective - sum(p.objective or 0 for _, _, p in free.parts)
    ow = over_weight(problem)
    work = list(free.place)
    cache: dict[tuple[int, int], PartCurve] = {}

    def curve(k: int, level: int) -> PartCurve:
        groups, flows, _, feet, _ = parts[k]
        above = sum(1 for f in feet if f > level)
        key = (k, above)
        if key not in cache:
            forbid = {g for g in groups for i in problem.groups[g]
                      if not (d := problem.decisions[i]).is_global
                      and d.footprint > level and dev in d.candidates}
            cache[key] = PartCurve(problem, groups, flows, work, dev, forbid)
        return cache[key]

    best: tuple[int, Value, int, list[tuple[int, int]]] | None = None  # objective first
    least_all = 0
    for level in levels:
        base: Value = (offset, 0)
        chosen: list[tuple[int, int]] = []  # (part, storage) per part with a curve
        opts: list[list[tuple[int, Value, int]]] = []
        curved: list[int] = []
        tops = 0
        least = 0
        for k, (groups, _flows, part, feet, stores) in enumerate(parts):
            if not stores and not any(f > level for f in feet):
                assert part.objective is not None
                if part.status != "OPTIMAL":
                    return None
                changes = sum(work[i] != (problem.decisions[i].iree,)
                              for g in groups for i in problem.groups[g])
                base = (base[0] + part.objective, base[1] + changes)
                continue
            c = curve(k, level)
            if not c.ok:
                return None
            if not stores:
                s, cost, changes = c.points[0]
                base = (base[0] + cost, base[1] + changes)
                chosen.append((k, s))
                continue
            top = c.points[0][0]
            tops += top
            least += c.points[-1][0]
            curved.append(k)
            opts.append([(top - s, (cost, changes), s) for s, cost, changes in c.points])
        cap = limit - fixed - level
        need = max(0, tops - max(cap, least))
        over = max(0, least - cap)
        found = _cover(opts, need)
        if found is None:
            return None
        value = (base[0] + found[0][0], base[1] + found[0][1])
        chosen += list(zip(curved, found[1], strict=True))
        key = (ow * over + value[0], value, level, chosen)
        if best is None or key[:2] < best[:2]:
            best = key
        least_all = least
        # Lower levels only restrict more: their least cost, at least the unbudgeted
        # optimum of this level, and their over, at least that of the lowest level.
        floor_over = max(0, least_all - (limit - fixed - levels[-1]))
        unbudgeted = base[0] + sum(curve(k, level).points[0][1] for k in curved)
        if ow * floor_over + unbudgeted >= best[0]:
            break
    assert best is not None
    place: Assignment = list(free.place)
    for k, s in best[3]:
        c = curve(k, best[2])
        c.place = place
        c.assign(s)
    b = evaluate(problem, place)
    value_ = objective(problem, b)
    result = SolveResult("OPTIMAL", place, value_, min(best[0], value_), size=dict(free.size))
    if value_ != best[0]:
        result.status = "FEASIBLE"  # cannot happen: the curves are exact
    result.size["budget_levels"] = len(levels)
    result.seconds = time.perf_counter() - start
    return result
