"""Running one scenario: load the base (cached: a batch on one base analyses it once), parse a
fresh copy, apply the edits on the IR, optionally let `placement place` decide the free ops,
re-solve and compare (`placement.whatif.diff`)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from placement.ir import load
from placement.ir.core import Module
from placement.place.problem import Options
from placement.whatif.analysis import Analysis, analyze
from placement.whatif.edits import Applied, apply_edits
from placement.whatif.schema import Scenario, load_scenario


@dataclass
class Base:
    """A base module's text and its analysis (shared by every scenario on it)."""

    path: Path
    text: str
    analysis: Analysis


@dataclass
class Outcome:
    """One scenario's result: the report document and the edited (placed) module."""

    scenario: Scenario
    doc: dict[str, Any]
    module: Module
    new: Analysis


_BASES: dict[tuple[str, float, tuple[Any, ...]], Base] = {}


def _base_options(applied: Applied, known: set[str]) -> Options:
    """The scenario's cost inputs restricted to the base module's devices."""
    return Options(budgets={k: v for k, v in applied.budgets.items() if "@" + k in known},
                   links={k: v for k, v in applied.links.items()
                          if "@" + k[0] in known and "@" + k[1] in known})


def base_of(scenario: Scenario, applied: Applied, devices: set[str]) -> Base:
    """The base analysis for this scenario's cost inputs (cached per process)."""
    options = _base_options(applied, devices)
    key = (str(scenario.base), os.path.getmtime(scenario.base),
           (tuple(sorted(options.budgets.items())), tuple(sorted(options.links.items()))))
    found = _BASES.get(key)
    if found is None:
        text = _read_base(scenario)
        found = Base(scenario.base, text, analyze(load(text, str(scenario.base)), options))
        _BASES[key] = found
    return found


_TEXTS: dict[tuple[str, float], str] = {}


def _read_base(scenario: Scenario) -> str:
    key = (str(scenario.base), os.path.getmtime(scenario.base))
    if key not in _TEXTS:
        _TEXTS[key] = scenario.base.read_text(encoding="utf-8")
    return _TEXTS[key]


def run_scenario(scenario: Scenario, explain_limit: int = 8) -> Outcome:
    """Apply, re-solve and compare one scenario (errors: located PlacementErrors)."""
    from placement.ir.explorer import symbol_name
    from placement.whatif.diff import compare
    from placement.whatif.edits import device_globals

    text = _read_base(scenario)
    module = load(text, str(scenario.base))
    base_devices = {symbol_name(op) or "" for op in device_globals(module)}
    applied = apply_edits(scenario, module)
    base = base_of(scenario, applied, base_devices)
    options = Options(budgets=applied.budgets, links=applied.links,
                      candidates="all" if scenario.place else "potential")
    placed = None
    if scenario.place:
        placed = _place(module, options, scenario.time_limit)
    new = analyze(module, Options(budgets=applied.budgets, links=applied.links))
    doc = compare(scenario, applied, base.analysis, new, placed, explain_limit)
    return Outcome(scenario, doc, module, new)


def _place(module: Module, options: Options, time_limit: float) -> dict[str, Any]:
    """Let `placement place` decide every unpinned op; its pins are written on the IR."""
    from placement.annotate import solve_module
    from placement.ir.rewrite import Rewriter
    from placement.model.place_cpsat import solve
    from placement.place.cost import evaluate
    from placement.place.pins import choose_pins
    from placement.place.problem import build_problem
    from placement.whatif.edits import set_affinity

    problem = build_problem(module, solve_module(module, "fixpoint"), options)
    result = solve(problem, time_limit)
    if result.place is None:
        return {"status": result.status, "objective": None, "lower_bound": None, "pins": 0}
    chosen = choose_pins(module, problem, result.place)
    rw = Rewriter(module)
    for op, affinity in chosen.pins:
        set_affinity(rw, op, affinity)
    cost = evaluate(problem, result.place)
    return {"status": result.status, "objective": result.objective, "cost": cost.cost,
            "lower_bound": result.bound, "pins": len(chosen.pins),
            "unrealized": [problem.decisions[i].label for i in chosen.unrealized]}


def run_file(path: Path, explain_limit: int = 8) -> Outcome:
    """Load and run one scenario file."""
    return run_scenario(load_scenario(path), explain_limit)
