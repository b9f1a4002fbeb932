"""`placement solve`: annotate a module as `iree-opt --iree-stream-annotate-affinities` does."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from placement.commands.common import (
    FileArg,
    Loaded,
    OutputOpt,
    Run,
    Semantics,
    SemanticsOpt,
    SplitOpt,
    join_cases,
    json_text,
    reports_errors,
)

if TYPE_CHECKING:
    from placement.ir.core import Module
    from placement.solution import Solution


class OutputFormat(StrEnum):
    """Output formats of `solve`."""

    mlir = "mlir"
    table = "table"
    json = "json"


class Engine(StrEnum):
    """Engines of `solve`."""

    fixpoint = "fixpoint"
    z3 = "z3"
    both = "both"


class EnginesDisagree(Exception):
    """Raised by `--engine both` when the engines' annotations differ."""

    def __init__(self, diffs: list[str]) -> None:
        super().__init__("\n".join(diffs))
        self.diffs = diffs


def solve_with(module: Module, engine: str, semantics: str = "seed") -> Solution:
    """Solve with one engine, or with both and fail with the differences if they disagree."""
    from placement.annotate import solve_module

    if engine != "both":
        return solve_module(module, engine, semantics)
    from placement.check import compare_solutions

    first = solve_module(module, "fixpoint", semantics)
    second = solve_module(module, "z3", semantics)
    diffs = compare_solutions(module, first, second)
    if diffs:
        raise EnginesDisagree(diffs)
    return first


@reports_errors
def solve_command(
    input: FileArg,
    output: OutputOpt = "-",
    split_input_file: SplitOpt = False,
    format: Annotated[OutputFormat, typer.Option(
        "--format", "-f", help="mlir, table or json.")] = OutputFormat.mlir,
    engine: Annotated[Engine, typer.Option(
        "--engine", help="Engine to compute with; 'both' fails if they disagree.")
    ] = Engine.fixpoint,
    semantics: SemanticsOpt = Semantics.seed,
    solver_max_iterations: Annotated[int, typer.Option(
        "--solver-max-iterations", help="With --semantics iree-3.13: warn where IREE's solver "
        "would stop at this bound (its --iree-stream-affinity-solver-max-iterations).")] = 128,
) -> None:
    """Annotate a module as `iree-opt --iree-stream-annotate-affinities` does.

    Examples:

      placement solve scenarios/two_devices.mlir

      placement solve --split-input-file cases.mlir -o annotated.mlir

      placement solve model.mlir --format table
    """
    from placement.annotate import annotate_text, compute_annotations

    run = Run(input, output, split_input_file)
    console = run.output.console() if format == OutputFormat.table else None

    def one(item: Loaded) -> str | dict[str, object]:
        module = item.module
        solution = solve_with(module, engine.value, semantics.value)
        warn_solver_bound(module, solution, solver_max_iterations)
        if format == OutputFormat.mlir:
            return annotate_text(module, solution)
        from placement.report import affinity_json, print_table  # rich: tables only

        anns = compute_annotations(module, solution)
        if format == OutputFormat.json:
            return affinity_json(module, solution, anns)
        print_table(module, solution, anns, console)
        return ""

    try:
        results = run.each(one)
    except EnginesDisagree as e:
        print("error: the engines disagree:", file=sys.stderr)
        for line in e.diffs:
            print("  " + line, file=sys.stderr)
        raise typer.Exit(1) from None
    if format == OutputFormat.mlir:
        run.finish(join_cases([r if isinstance(r, str) else "" for r in results]))
    elif format == OutputFormat.json:
        doc = {"schema": "placement.affinities/1", "file": run.name, "engine": engine.value,
               "cases": [r for r in results if isinstance(r, dict)]}
        run.finish(json_text(doc))
    else:
        run.finish()


def warn_solver_bound(module: Module, solution: Solution, max_iterations: int) -> None:
    """Under iree-3.13: a `warning:` where IREE 3.13's solver would give up (spec 10.1#10)."""
    estimate = solution.solver_bound
    if estimate is not None and estimate.exceeds(max_iterations):
        from placement.iree313.bound import bound_warning

        print(bound_warning(module, estimate, max_iterations), file=sys.stderr)
