"""Placements to compare against, scored by the same cost model: IREE's rule (every decision
on its lead affinity), everything on one device, and a greedy pass."""

from __future__ import annotations

from placement.place.cost import (
    Assignment,
    Breakdown,
    evaluate,
    flow_cost,
    iree_assignment,
    over_weight,
)
from placement.place.problem import Problem


def one_device(problem: Problem, device: int) -> Assignment:
    """Every free decision on `device` where it is a candidate, else IREE's choice."""
    place = iree_assignment(problem)
    for g in problem.free_groups():
        for i in problem.groups[g]:
            if device in problem.decisions[i].candidates:
                place[i] = (device,)
    return place


def greedy(problem: Problem) -> Assignment:
    """One pass in program order from IREE's choice: each free group takes the single device
    that minimizes the objective of the flows it touches plus budgets and balance."""
    place = iree_assignment(problem)
    touching: dict[int, list[int]] = {}
    for f, flow in enumerate(problem.flows):
        ends = [flow.source, *flow.consumers]
        groups = sorted({problem.decisions[i].group for kind, i in ends if kind == "dec"})
        for g in groups:
            touching.setdefault(g, []).append(f)
    ow = over_weight(problem)
    budgeted = bool(problem.budgets) or problem.options.balance_weight > 0
    for g in problem.free_groups():
        members = problem.groups[g]
        best: tuple[int, int] | None = None
        choice = place[members[0]]
        for dev in problem.decisions[members[0]].candidates:
            for i in members:
                place[i] = (dev,)
            local = sum(flow_cost(problem, place, f) for f in touching.get(g, []))
            if budgeted:
                b: Breakdown = evaluate(problem, place)
                score = ow * b.over + b.balance + local
            else:
                score = local
            key = (score, dev)
            if best is None or key < best:
                best, choice = key, (dev,)
        for i in members:
            place[i] = choice
    return place
