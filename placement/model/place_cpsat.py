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
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

from placement.place.cost import Assignment, iree_assignment, over_weight
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

    @property
    def gap(self) -> float | None:
        """Relative gap between the solution and the lower bound (0 when optimal)."""
        if self.objective is None or self.bound is None:
            return None
        if self.objective == 0:
            return 0.0
        return max(0.0, (self.objective - self.bound) / self.objective)


class _Model:
    def __init__(self, problem: Problem, strict_budget: bool) -> None:
        self.p = problem
        self.m = cp_model.CpModel()
        self.x: dict[int, dict[int, cp_model.IntVar]] = {}
        self.cost: list[tuple[int, Lit]] = []  # (coefficient, literal or int var)
        self.assumptions: list[tuple[cp_model.IntVar, str]] = []
        self.strict = strict_budget
        self.pinned: dict[int, dict[int, cp_model.IntVar]] = {}  # explicit decisions as vars

    # ------------------------------------------------------------------ variables
    def build_groups(self) -> None:
        p = self.p
        for g in p.free_groups():
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
        for fi, flow in enumerate(p.flows):
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


def solve(problem: Problem, time_limit: float = 60.0, strict_budget: bool = False,
          hint: Assignment | None = None) -> SolveResult:
    """Solve the placement problem; the assignment covers every decision."""
    start = time.perf_counter()
    mm = _Model(problem, strict_budget)
    mm.build_groups()
    mm.transfers()
    if problem.budgets:
        mm.memory()
    mm.storage()
    mm.balance()
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
    start_place = hint or iree_assignment(problem)
    for g, xs in sorted(mm.x.items()):
        chosen = start_place[problem.groups[g][0]]
        for k, v in xs.items():
            m.add_hint(v, 1 if k in chosen else 0)
    if mm.assumptions:
        m.add_assumptions([lit for lit, _ in mm.assumptions])
    proto = m.proto
    size = {"decisions": len(problem.decisions),
            "free_decisions": sum(len(problem.groups[g]) for g in problem.free_groups()),
            "variables_unreduced": sum(len(d.candidates) for d in problem.decisions),
            "free_groups": len(mm.x), "variables": len(proto.variables),
            "constraints": len(proto.constraints), "flows": len(problem.flows)}
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_deterministic_time = float(time_limit)
    solver.parameters.max_time_in_seconds = float(time_limit) * 2 + 5
    status = solver.solve(m)
    name = _STATUS.get(status, "UNKNOWN")
    result = SolveResult(name, None, size=size)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        place = [tuple(d.candidates) if len(d.candidates) == 1 else (d.iree,)
                 for d in problem.decisions]
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
    result.seconds = time.perf_counter() - start
    return result
