"""The CP-SAT model of `placement place` (cost model: placement.place.cost, docs/place.md).

Variables: one boolean per (free group, candidate device). A group is one variable shared by
decisions that must agree (tie chains, clones); decisions with one candidate are constants and
never reach the model. Non-replicable groups take exactly one device, replicable globals at
least one. Per flow and consumer device d: `need_d` (some consumer is on d), then either
`t_d >= need_d - src_d` with cost `bytes * w(*, d)` when every possible source link into d has
the same weight, or one `s_{a,d} <= src_a` per source device with
`sum_a s_{a,d} >= need_d - src_d` and cost `bytes * w(a, d)`. Memory per budgeted device:
globals' storage plus `peak_d >= footprint * x` per op; `over_d >= mem_d - budget_d`.
Makespan `M >= work on d`. `--max-changes K`: at most K decisions differ from IREE's choice.

The objective is `over_weight * over + transfer + storage + balance`, times `T` plus the number
of changes when that fits in 62 bits (a deterministic tie-break toward IREE's choice, so equal
optima pick the fewest departures). The solver runs one worker with seed 0; the time limit is
CP-SAT deterministic time, so a run that stops early stops at the same point every time.
With `strict_budget`, budgets are hard and guarded by assumption literals, as are the user's
pins that put bytes on a budgeted device; an infeasible model names the conflicting ones.

`solve` decomposes first: independent parts are solved exactly (enumeration, else variable
elimination in placement.model.place_exact; CP-SAT only for parts too wide), and a budget on
one device exactly by placement.model.place_budget; this model is for the rest.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

from placement.model.place_exact import solve_part_exact
from placement.place.cost import (
    Assignment,
    evaluate,
    flow_cost,
    group_choices,
    iree_assignment,
    over_weight,
)
from placement.place.problem import Endpoint, Problem

Lit = Any  # a 0/1 constant, a boolean variable or a linear expression


@dataclass
class SolveResult:
    """What the solver found."""

    status: str
    place: Assignment | None
    objective: int | None = None
    bound: int | None = None
    seconds: float = 0.0
    size: dict[str, int] = field(default_factory=dict)
    conflicts: list[str] = field(default_factory=list)
    # The independent parts of a decomposed solve: (free groups, flows, the part's result).
    parts: list[tuple[list[int], list[int], SolveResult]] = field(default_factory=list)

    @property
    def gap(self) -> float | None:
        """Relative gap between the solution and the lower bound (0 when optimal)."""
        if self.objective is None or self.bound is None:
            return None
        if self.objective == 0:
            return 0.0
        return max(0.0, (self.objective - self.bound) / self.objective)


class _Model:
    def __init__(self, problem: Problem, strict_budget: bool, groups: list[int],
                 flows: list[int]) -> None:
        self.p = problem
        self.groups = groups
        self.flows = flows
        self.m = cp_model.CpModel()
        self.x: dict[int, dict[int, cp_model.IntVar]] = {}
        self.cost: list[tuple[int, Lit]] = []  # (coefficient, literal or int var)
        self.assumptions: list[tuple[cp_model.IntVar, str]] = []
        self.strict = strict_budget
        self.pinned: dict[int, dict[int, cp_model.IntVar]] = {}  # explicit decisions as vars

    # ------------------------------------------------------------------ variables
    def build_groups(self) -> None:
        p = self.p
        for g in self.groups:
            first = p.decisions[p.groups[g][0]]
            xs = {d: self.m.new_bool_var(f"x{g}_{d}") for d in first.candidates}
            self.x[g] = xs
            if first.replicable:
                self.m.add_bool_or(list(xs.values()))
            else:
                self.m.add_exactly_one(list(xs.values()))
        if self.strict and p.budgets:
            for d in p.decisions:
                if d.explicit and (d.storage or d.footprint) and d.group not in self.x:
                    xs = {k: self.m.new_bool_var(f"pin{d.index}_{k}")
                          for k in range(len(p.devices))}
                    self.m.add_exactly_one(list(xs.values()))
                    lit = self.m.new_bool_var(f"assume_pin{d.index}")
                    self.m.add_implication(lit, xs[d.candidates[0]])
                    self.assumptions.append((lit, f"pin {d.label} on {p.devices[d.candidates[0]]}"))
                    self.pinned[d.index] = xs

    def lit(self, end: Endpoint, device: int) -> Lit:
        """1 / 0 / a variable: whether the endpoint stands on `device`."""
        kind, i = end
        if kind == "dev":
            return 1 if i == device else 0
        if i in self.pinned:
            return self.pinned[i][device]
        d = self.p.decisions[i]
        xs = self.x.get(d.group)
        if xs is None:
            return 1 if device in d.candidates else 0
        return xs.get(device, 0)

    def either(self, lits: list[Lit], name: str) -> Lit:
        """A literal true when any of `lits` is (only its lower bound matters: minimized)."""
        if any(isinstance(v, int) and v == 1 for v in lits):
            return 1
        vs = [v for v in lits if not isinstance(v, int)]
        if not vs:
            return 0
        if len(vs) == 1:
            return vs[0]
        n = self.m.new_bool_var(name)
        for v in vs:
            self.m.add_implication(v, n)
        return n

    # ------------------------------------------------------------------ terms
    def transfers(self) -> None:
        p = self.p
        n = len(p.devices)
        for fi in self.flows:
            flow = p.flows[fi]
            src = [self.lit(flow.source, a) for a in range(n)]
            for d in range(n):
                need = self.either([self.lit(c, d) for c in flow.consumers], f"need{fi}_{d}")
                if isinstance(need, int) and need == 0:
                    continue
                here = src[d]
                if isinstance(here, int) and here == 1:
                    continue
                sources = [a for a in range(n) if a != d
                           and not (isinstance(src[a], int) and src[a] == 0)]
                if not sources:
                    continue
                ws = {p.weights[a][d] for a in sources}
                if len(ws) == 1:
                    w = ws.pop()
                    if w == 0:
                        continue
                    t = self._at_least(need, here, f"t{fi}_{d}")
                    self.cost.append((flow.bytes * w, t))
                    continue
                ss = []
                for a in sources:
                    s = self.m.new_bool_var(f"s{fi}_{a}_{d}")
                    if not isinstance(src[a], int):
                        self.m.add_implication(s, src[a])
                    ss.append(s)
                    self.cost.append((flow.bytes * p.weights[a][d], s))
                self.m.add(sum(ss) >= need - here)

    def _at_least(self, need: Lit, here: Lit, name: str) -> Lit:
        """A literal forced to 1 when `need` holds and `here` does not."""
        if isinstance(here, int):  # here == 0
            return need
        t = self.m.new_bool_var(name)
        self.m.add(t >= need - here)
        return t

    def memory(self) -> None:
        p = self.p
        ow = over_weight(p)
        for dev, limit in sorted(p.budgets.items()):
            fixed = 0
            terms: list[tuple[int, cp_model.IntVar]] = []
            peak_fixed = 0
            peak_vars: list[tuple[int, cp_model.IntVar]] = []
            for d in p.decisions:
                v = self.lit(("dec", d.index), dev)
                if d.is_global:
                    if d.storage == 0:
                        continue
                    if isinstance(v, int):
                        fixed += d.storage * v
                    else:
                        terms.append((d.storage, v))
                elif d.footprint:
                    if isinstance(v, int):
                        if v:
                            peak_fixed = max(peak_fixed, d.footprint)
                    else:
                        peak_vars.append((d.footprint, v))
            peak_vars = [(f, v) for f, v in peak_vars if f > peak_fixed]
            top = max([peak_fixed] + [f for f, _ in peak_vars])
            peak = self.m.new_int_var(peak_fixed, top, f"peak{dev}")
            for f, v in peak_vars:
                self.m.add(peak >= f * v)
            mem = sum(c * v for c, v in terms) + fixed + peak
            if self.strict:
                lit = self.m.new_bool_var(f"assume_budget{dev}")
                self.m.add(mem <= limit).only_enforce_if(lit)
                self.assumptions.append((lit, f"budget {p.names[dev]}={limit}"))
                continue
            total = fixed + sum(c for c, _ in terms) + top
            over = self.m.new_int_var(0, max(0, total - limit), f"over{dev}")
            self.m.add(over >= mem - limit)
            self.cost.append((ow, over))

    def storage(self) -> None:
        p = self.p
        sw = p.options.storage_weight
        for g, xs in self.x.items():
            d = p.decisions[p.groups[g][0]]
            if d.replicable and d.storage and sw:
                for v in xs.values():
                    self.cost.append((sw * d.storage, v))
                self.cost.append((-sw * d.storage, 1))

    def balance(self) -> None:
        p = self.p
        bw = p.options.balance_weight
        if bw <= 0:
            return
        n = len(p.devices)
        total = sum(d.work for d in p.decisions if not d.is_global)
        span = self.m.new_int_var(0, total, "makespan")
        for dev in range(n):
            fixed = 0
            terms = []
            for d in p.decisions:
                if d.is_global or not d.work:
                    continue
                v = self.lit(("dec", d.index), dev)
                if isinstance(v, int):
                    fixed += d.work * v
                else:
                    terms.append(d.work * v)
            self.m.add(span >= sum(terms) + fixed)
        self.cost.append((bw, span))

    def changes(self) -> list[Lit]:
        p = self.p
        out: list[Lit] = []
        for g, xs in self.x.items():
            for i in p.groups[g]:
                d = p.decisions[i]
                if not d.replicable:
                    out.append(1 - xs[d.iree])
                    continue
                c = self.m.new_bool_var(f"changed{i}")
                self.m.add(c >= 1 - xs[d.iree])
                for k, v in xs.items():
                    if k != d.iree:
                        self.m.add_implication(v, c)
                out.append(c)
        return out


_STATUS = {cp_model.OPTIMAL: "OPTIMAL", cp_model.FEASIBLE: "FEASIBLE",
           cp_model.INFEASIBLE: "INFEASIBLE", cp_model.MODEL_INVALID: "MODEL_INVALID",
           cp_model.UNKNOWN: "UNKNOWN"}


def _components(problem: Problem) -> tuple[list[tuple[list[int], list[int]]], list[int]]:
    """Independent parts (free groups linked by flows, with their flows) and the flows with
    no free endpoint (constants)."""
    free = problem.free_groups()
    parent = {g: g for g in free}

    def find(g: int) -> int:
        while parent[g] != g:
            parent[g] = parent[parent[g]]
            g = parent[g]
        return g

    flow_groups: list[list[int]] = []
    for flow in problem.flows:
        gs = sorted({problem.decisions[i].group for kind, i in [flow.source, *flow.consumers]
                     if kind == "dec" and problem.decisions[i].group in parent})
        flow_groups.append(gs)
        for g in gs[1:]:
            a, b = find(gs[0]), find(g)
            if a != b:
                parent[max(a, b)] = min(a, b)
    parts: dict[int, tuple[list[int], list[int]]] = {}
    for g in free:
        parts.setdefault(find(g), ([], []))[0].append(g)
    constant: list[int] = []
    for f, gs in enumerate(flow_groups):
        if gs:
            parts[find(gs[0])][1].append(f)
        else:
            constant.append(f)
    return [parts[k] for k in sorted(parts)], constant


ENUMERATE_LIMIT = 64  # independent parts with at most this many assignments are enumerated


def _space(problem: Problem, groups: list[int]) -> int:
    n = 1
    for g in groups:
        n *= len(group_choices(problem, g))
        if n > ENUMERATE_LIMIT:
            break
    return n


def _enumerate_part(problem: Problem, groups: list[int], flows: list[int],
                    place: Assignment) -> SolveResult:
    """Exact minimum of a small independent part by enumeration (ties: fewest changes from
    IREE's choice, then the first in candidate order), written into `place`."""
    sw = problem.options.storage_weight
    best: tuple[int, int] | None = None
    best_combo: tuple[tuple[int, ...], ...] = ()
    for combo in itertools.product(*(group_choices(problem, g) for g in groups)):
        changes = 0
        storage = 0
        for g, devs in zip(groups, combo, strict=True):
            for i in problem.groups[g]:
                place[i] = devs
                d = problem.decisions[i]
                changes += devs != (d.iree,)
                if d.is_global:
                    storage += sw * d.storage * (len(devs) - 1)
        cost = storage + sum(flow_cost(problem, place, f) for f in flows)
        if best is None or (cost, changes) < best:
            best, best_combo = (cost, changes), combo
    assert best is not None
    for g, devs in zip(groups, best_combo, strict=True):
        for i in problem.groups[g]:
            place[i] = devs
    return SolveResult("OPTIMAL", place, best[0], best[0])


def solve(problem: Problem, time_limit: float = 60.0, strict_budget: bool = False,
          hint: Assignment | None = None) -> SolveResult:
    """Solve the placement problem; the assignment covers every decision.

    Without budgets, balance or a change cap the objective is a sum over independent parts
    (free groups linked by flows): each part is solved on its own, with a share of the time
    limit, and objectives and bounds add up.
    """
    start = time.perf_counter()
    opts = problem.options
    if problem.budgets and opts.balance_weight == 0 and opts.max_changes is None \
            and not strict_budget:
        return _solve_budgeted(problem, time_limit, hint, start)
    coupled = bool(problem.budgets) or opts.balance_weight > 0 or opts.max_changes is not None
    start_place = hint or iree_assignment(problem)
    place = [tuple(d.candidates) if len(d.candidates) == 1 else start_place[d.index]
             for d in problem.decisions]
    if coupled:
        parts = [(problem.free_groups(), list(range(len(problem.flows))))]
        offset = 0
    else:
        parts, constant = _components(problem)
        offset = sum(flow_cost(problem, place, f) for f in constant)
    total_vars = sum(len(g) for g, _ in parts) or 1
    size = {"decisions": len(problem.decisions),
            "free_decisions": sum(len(problem.groups[g]) for g in problem.free_groups()),
            "variables_unreduced": sum(len(d.candidates) for d in problem.decisions),
            "free_groups": len(problem.free_groups()), "components": len(parts),
            "variables": 0, "constraints": 0, "flows": len(problem.flows)}
    result = SolveResult("OPTIMAL", place, offset, offset, size=size)
    for groups, flows in parts:
        share = max(1.0, time_limit * len(groups) / total_vars)
        if not coupled and _space(problem, groups) <= ENUMERATE_LIMIT:
            part = _enumerate_part(problem, groups, flows, place)
        elif not coupled and (exact := solve_part_exact(problem, groups, flows,
                                                        place)) is not None:
            part = SolveResult("OPTIMAL", place, exact[0], exact[0])
        else:
            part = _solve_part(problem, groups, flows, share, strict_budget, start_place,
                               coupled, place)
        size["variables"] += part.size.get("variables", 0)
        size["constraints"] += part.size.get("constraints", 0)
        if not coupled:
            result.parts.append((groups, flows, part))
        if part.objective is None:
            result.status, result.place = part.status, None
            result.objective = result.bound = None
            result.conflicts = part.conflicts
            break
        assert result.objective is not None and result.bound is not None
        result.objective += part.objective
        result.bound += part.bound or 0
        if part.status != "OPTIMAL":
            result.status = part.status
    result.seconds = time.perf_counter() - start
    return result


def _solve_part(problem: Problem, groups: list[int], flows: list[int], time_limit: float,
                strict_budget: bool, start_place: Assignment, coupled: bool,
                place: Assignment) -> SolveResult:
    """One CP-SAT model over `groups` and `flows`; writes its choice into `place`."""
    mm = _Model(problem, strict_budget, groups, flows)
    mm.build_groups()
    mm.transfers()
    if coupled:
        if problem.budgets:
            mm.memory()
        mm.balance()
    mm.storage()
    changes = mm.changes()
    m = mm.m
    if problem.options.max_changes is not None and changes:
        m.add(sum(changes) <= problem.options.max_changes)
    bound_sum = sum(abs(c) for c, _ in mm.cost) + 1
    scale = len(changes) + 1
    tie_break = bound_sum * scale < (1 << 62) and bool(changes)
    expr = sum(c * v for c, v in mm.cost)
    if tie_break:
        m.minimize(expr * scale + sum(changes))
    else:
        m.minimize(expr)
    for g, xs in sorted(mm.x.items()):
        chosen = start_place[problem.groups[g][0]]
        for k, v in xs.items():
            m.add_hint(v, 1 if k in chosen else 0)
    if mm.assumptions:
        m.add_assumptions([lit for lit, _ in mm.assumptions])
    proto = m.proto
    size = {"variables": len(proto.variables), "constraints": len(proto.constraints)}
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_deterministic_time = float(time_limit)
    solver.parameters.max_time_in_seconds = float(time_limit) * 2 + 5
    status = solver.solve(m)
    result = SolveResult(_STATUS.get(status, "UNKNOWN"), None, size=size)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        for g, xs in mm.x.items():
            devs = tuple(k for k, v in sorted(xs.items()) if solver.boolean_value(v))
            for i in problem.groups[g]:
                place[i] = devs
        result.place = place
        obj = round(solver.objective_value)
        bnd = int(solver.best_objective_bound + 1e-6) if status == cp_model.FEASIBLE else obj
        if tie_break:
            obj //= scale
            bnd //= scale
        result.objective = obj
        result.bound = obj if status == cp_model.OPTIMAL else min(bnd, obj)
    elif status == cp_model.INFEASIBLE and mm.assumptions:
        names = dict((lit.index, text) for lit, text in mm.assumptions)
        core = solver.sufficient_assumptions_for_infeasibility()
        result.conflicts = [names[i] for i in sorted(core) if i in names]
    return result


def _solve_budgeted(problem: Problem, time_limit: float, hint: Assignment | None,
                    start: float) -> SolveResult:
    """Budgets only couple the parts through memory: solve without them first (the parts
    decompose). If that optimum fits, it is optimal with the budgets too; otherwise it is the
    warm start of the coupled model and its bound is a lower bound there as well."""
    free = solve(dataclasses.replace(problem, budgets={}), time_limit / 2, False, hint)
    if free.place is not None:
        b = evaluate(problem, free.place)
        if b.over == 0:
            free.seconds = time.perf_counter() - start
            return free
        from placement.model.place_budget import solve_one_budget

        exact = solve_one_budget(problem, free, start)
        if exact is not None:
            return exact
    coupled = solve_coupled(problem, time_limit / 2, free.place or hint)
    if coupled.objective is not None and free.bound is not None and coupled.bound is not None:
        coupled.bound = max(coupled.bound, free.bound)
        if coupled.bound >= coupled.objective:
            coupled.status = "OPTIMAL"
            coupled.bound = coupled.objective
    coupled.size["components"] = free.size.get("components", 1)
    coupled.seconds = time.perf_counter() - start
    return coupled


def solve_coupled(problem: Problem, time_limit: float, hint: Assignment | None) -> SolveResult:
    """One model over everything (budgets, balance and change caps need it)."""
    start_place = hint or iree_assignment(problem)
    place = [tuple(d.candidates) if len(d.candidates) == 1 else start_place[d.index]
             for d in problem.decisions]
    result = _solve_part(problem, problem.free_groups(), list(range(len(problem.flows))),
                         time_limit, False, start_place, True, place)
    result.size.update(decisions=len(problem.decisions),
                       free_decisions=sum(len(problem.groups[g])
                                          for g in problem.free_groups()),
                       variables_unreduced=sum(len(d.candidates) for d in problem.decisions),
                       free_groups=len(problem.free_groups()), flows=len(problem.flows))
    return result
