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
from placement.whatif.analysis import Analysis, analyze, costed
from placement.whatif.edits import Applied, apply_edits
from placement.whatif.incremental import SharedBase, resolve, shared_base, with_options
from placement.whatif.journal import STRUCTURAL_EDITS, Journal
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
    module: Module  # on the shared path: the base again once the scenario is done
    new: Analysis
    mlir: str | None = None  # the edited (placed) module, when asked for
    incremental: bool = False  # re-solved from the shared base's graph


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


def incremental_ok(scenario: Scenario) -> bool:
    """Whether the scenario can edit the shared base IR and re-solve incrementally: no
    structural edit (added/removed devices, replicas) and no `place` (it needs the full
    problem)."""
    return not scenario.place and all(e.kind not in STRUCTURAL_EDITS for e in scenario.edits)


_SHARED: dict[tuple[str, float], SharedBase] = {}


def shared_of(scenario: Scenario) -> SharedBase:
    """The base parsed and analysed once per process (scenarios edit it and undo)."""
    key = (str(scenario.base), os.path.getmtime(scenario.base))
    found = _SHARED.get(key)
    if found is None:
        found = _SHARED[key] = shared_base(load(_read_base(scenario), str(scenario.base)))
    return found


def run_scenario(scenario: Scenario, explain_limit: int = 8, mlir: bool = False,
                 bound: bool = False, incremental: bool = True) -> Outcome:
    """Apply, re-solve and compare one scenario (errors: located PlacementErrors).

    `explain_limit`: how many changed items get a derivation (0: none, as the batch matrix
    prints none); `mlir`: print the edited module into `Outcome.mlir`; `bound`: check IREE
    3.13's solver iteration bound (a full 3.13 solve); `incremental`: re-use the parsed base
    and its solved graph where the edits allow (`incremental_ok`), else parse a copy."""
    if incremental and incremental_ok(scenario):
        return _run_shared(scenario, explain_limit, mlir, bound)
    from placement.ir.explorer import symbol_name
    from placement.ir.printer import print_ir
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
    doc = compare(scenario, applied, base.analysis, new, placed, explain_limit, bound)
    return Outcome(scenario, doc, module, new, print_ir(module) if mlir else None, False)


def _run_shared(scenario: Scenario, explain_limit: int, mlir: bool, bound: bool) -> Outcome:
    """The scenario on the shared base IR: edits journalled, incremental re-solve, undo."""
    from placement.affinity import default_affinity
    from placement.ir.printer import print_ir
    from placement.whatif.diff import compare

    base = shared_of(scenario)
    module = base.module
    journal = Journal(module)
    try:
        applied = apply_edits(scenario, module, journal, base.named)
        old = base.analysis(_base_options(applied, set(base.device_globals)))
        options = Options(budgets=applied.budgets, links=applied.links)
        resolved = resolve(base, journal)
        if resolved is None:
            new = analyze(module, options)
        else:
            new = costed(module, resolved.solution, resolved.items,
                         with_options(module, resolved.problem, options),
                         default_affinity(module, module.root))
        doc = compare(scenario, applied, old, new, None, explain_limit, bound)
        text = print_ir(module) if mlir else None
    finally:
        journal.undo()
    return Outcome(scenario, doc, module, new, text, resolved is not None)


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


def run_file(path: Path, explain_limit: int = 8, mlir: bool = False, bound: bool = False,
             incremental: bool = True) -> Outcome:
    """Load and run one scenario file (arguments: `run_scenario`)."""
    return run_scenario(load_scenario(path), explain_limit, mlir, bound, incremental)
