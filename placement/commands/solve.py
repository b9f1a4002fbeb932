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


def solve_with(module: Module, engine: str) -> Solution:
    """Solve with one engine, or with both and fail with the differences if they disagree."""
    from placement.annotate import solve_module

    if engine != "both":
        return solve_module(module, engine)
    from placement.check import compare_solutions

    first = solve_module(module, "fixpoint")
    second = solve_module(module, "z3")
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
) -> None:
    """Annotate a module as `iree-opt --iree-stream-annotate-affinities` does.

    Examples:

      placement solve scenarios/two_devices.mlir

      placement solve --split-input-file cases.mlir -o annotated.mlir

      placement solve model.mlir --format table
    """
    from placement.annotate import annotate_text, compute_annotations
    from placement.report import affinity_json, print_table

    run = Run(input, output, split_input_file)
    console = run.output.console() if format == OutputFormat.table else None

    def one(item: Loaded) -> str | dict[str, object]:
        module = item.module
        solution = solve_with(module, engine.value)
        if format == OutputFormat.mlir:
            return annotate_text(module, solution)
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
