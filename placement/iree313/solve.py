"""Solving a module under the IREE 3.13 profile with either engine."""

from __future__ import annotations

from placement.ir.core import Module
from placement.iree313.explorer import Explorer313, apply_rows
from placement.iree313.pins import pinned_values
from placement.solution import Solution


def solve_iree313(module: Module, engine: str = "fixpoint") -> Solution:
    """Apply the 3.13 op rows, then run the engine's 3.13 rules ("fixpoint" or "z3").

    The fixpoint engine also estimates 3.13's solver iterations (`solution.solver_bound`).
    """
    apply_rows(module)
    explorer = Explorer313(module)
    if engine == "fixpoint":
        from placement.baseline.fixpoint import build_graph, graph_solution, solve_graph
        from placement.baseline.iree313 import Iree313Rules
        from placement.iree313.bound import estimate_rounds

        graph = build_graph(module, Iree313Rules(module, explorer))
        solve_graph(graph)
        solution = graph_solution(graph)
        solution.solver_bound = estimate_rounds(graph.elements)
    elif engine == "z3":
        from placement.model.iree313 import run_z3_iree313

        solution = run_z3_iree313(module, explorer)
    else:
        raise ValueError(f"unknown engine {engine!r}")
    solution.semantics = "iree-3.13"
    solution.pinned = pinned_values(module, explorer)
    return solution
