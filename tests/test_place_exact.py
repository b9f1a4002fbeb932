"""The exact part solver (variable elimination, placement.model.place_exact) against exhaustive
enumeration of every assignment scored by the cost model (placement.place.cost.evaluate)."""

from __future__ import annotations

import itertools
import random

import pytest

from placement.annotate import solve_module
from placement.ir import load
from placement.model import place_exact
from placement.model.place_cpsat import _components, solve
from placement.model.place_exact import solve_part_exact
from placement.place.cost import (
    evaluate,
    group_choices,
    iree_assignment,
    objective,
)
from placement.place.problem import Options, Problem, build_problem
from placement.testing.generate import generate_module


def _exhaustive(problem: Problem) -> tuple[int, int]:
    """Least (objective, changes) over every assignment of the free groups."""
    groups = problem.free_groups()
    place = iree_assignment(problem)
    best: tuple[int, int] | None = None
    for combo in itertools.product(*(group_choices(problem, g) for g in groups)):
        for g, devs in zip(groups, combo, strict=True):
            for i in problem.groups[g]:
                place[i] = devs
        b = evaluate(problem, place)
        key = (objective(problem, b), b.changes)
        if best is None or key < best:
            best = key
    assert best is not None
    return best


def _options(rng: random.Random, names: list[str]) -> Options:
    links = {}
    if len(names) > 1:
        for _ in range(rng.choice([0, 1, 2])):
            a, b = rng.sample(names, 2)
            links[(a.lstrip("@"), b.lstrip("@"))] = rng.choice([0, 2, 5])
    return Options(links=links, storage_weight=rng.choice([0, 1, 3]),
                   candidates=rng.choice(["potential", "all"]), replicate=rng.random() < 0.3)


def test_elimination_equals_exhaustive_enumeration() -> None:
    rng = random.Random(12)
    checked = 0
    seed = 0
    while checked < 150:
        seed += 1
        text = generate_module(60_000 + seed, n_ops=rng.choice([12, 20, 30]),
                               n_devices=rng.choice([2, 3, 3]))
        module = load(text)
        solution = solve_module(module)
        names = sorted(set(build_problem(module, solution, Options()).names))
        problem = build_problem(module, solution, _options(rng, names))
        groups = problem.free_groups()
        space = 1
        for g in groups:
            space *= len(group_choices(problem, g))
        if not groups or space > 4000:
            continue
        place = [tuple(d.candidates) if len(d.candidates) == 1 else (d.iree,)
                 for d in problem.decisions]
        parts, _ = _components(problem)
        changes = 0
        for part_groups, flows in parts:  # every part, small ones included
            found = solve_part_exact(problem, part_groups, flows, place)
            assert found is not None
            changes += found[1]
        b = evaluate(problem, place)
        assert (objective(problem, b), b.changes) == _exhaustive(problem), seed
        assert b.changes == changes
        checked += 1


def test_a_table_over_the_limit_falls_back_to_cpsat(monkeypatch: pytest.MonkeyPatch) -> None:
    text = generate_module(60_007, n_ops=30, n_devices=3)
    module = load(text)
    problem = build_problem(module, solve_module(module), Options(candidates="all"))
    parts, _ = _components(problem)
    groups, flows = max(parts, key=lambda p: len(p[0]))
    assert len(groups) > 2
    place = iree_assignment(problem)
    before = list(place)
    monkeypatch.setattr(place_exact, "TABLE_LIMIT", 2)
    assert solve_part_exact(problem, groups, flows, place) is None
    assert place == before
    result = solve(problem, 10)  # CP-SAT on the parts elimination gives up on
    monkeypatch.undo()
    exact = solve(problem, 10)
    assert result.status == exact.status == "OPTIMAL"
    assert result.objective == exact.objective


def test_one_budget_decomposition_equals_exhaustive_enumeration() -> None:
    """A budget on one device: the exact decomposition (cost-versus-storage curves per part,
    peak levels, covering knapsack) against every assignment, including over-budget cases."""
    rng = random.Random(13)
    checked = 0
    decomposed = 0
    seed = 0
    while checked < 150:
        seed += 1
        text = generate_module(70_000 + seed, n_ops=rng.choice([12, 20, 30]),
                               n_devices=rng.choice([2, 3, 3]))
        module = load(text)
        solution = solve_module(module)
        names = sorted(set(build_problem(module, solution, Options()).names))
        if not names:
            continue
        base = _options(rng, names)
        budget = {rng.choice(names).lstrip("@"): rng.choice([0, 16, 48, 100, 200, 400])}
        problem = build_problem(module, solution, Options(
            budgets=budget, links=base.links, storage_weight=base.storage_weight,
            candidates=base.candidates, replicate=base.replicate))
        groups = problem.free_groups()
        space = 1
        for g in groups:
            space *= len(group_choices(problem, g))
        if not groups or space > 4000:
            continue
        result = solve(problem, 30)
        assert result.status == "OPTIMAL" and result.place is not None
        b = evaluate(problem, result.place)
        assert objective(problem, b) == result.objective == result.bound
        assert (result.objective, b.changes) == _exhaustive(problem), seed
        decomposed += "budget_levels" in result.size
        checked += 1
    assert decomposed >= 30  # the decomposition, not only the unbudgeted optimum, was tested
