"""`placement place FILE`: a cost-optimal concrete placement, as pins, a report or a graph.

Exit codes: 0 on success (an over-budget answer is flagged, not failed), 1 when the placement
cannot be made (`--strict-budget` with budgets and pins that conflict, or no solution within the
time limit), 2 on bad input. The cost model is docs/place.md.
"""

from __future__ import annotations

import io
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from placement.commands.common import FileArg, Loaded, OutputOpt, Run, reports_errors
from placement.diagnostics import PlacementError

if TYPE_CHECKING:
    from placement.ir.core import Module
    from placement.place.problem import Options


class PlaceFormat(StrEnum):
    """Output formats of `place`."""

    mlir = "mlir"
    table = "table"
    json = "json"
    dot = "dot"


class Candidates(StrEnum):
    """Which devices a decision may take."""

    potential = "potential"
    all = "all"


def _pair(item: str, flag: str, what: str) -> tuple[str, int]:
    name, sep, value = item.partition("=")
    try:
        number = int(value.strip().replace("_", ""))
    except ValueError:
        number = -1
    if not sep or not name.strip() or number < 0:
        raise PlacementError(f"bad {flag} '{item}': expected {what}", flag)
    return name.strip(), number


def parse_links(items: list[str]) -> dict[tuple[str, str], int]:
    """`A:B=WEIGHT` (device names with or without '@'), the weight of moving a byte A to B."""
    out: dict[tuple[str, str], int] = {}
    for item in items:
        pair, weight = _pair(item, "--link", "FROM:TO=WEIGHT")
        a, sep, b = pair.partition(":")
        if not sep or not a.strip() or not b.strip():
            raise PlacementError(f"bad --link '{item}': expected FROM:TO=WEIGHT", "--link")
        out[(a.strip().lstrip("@"), b.strip().lstrip("@"))] = weight
    return out


def parse_dims(items: list[str]) -> dict[str, int]:
    """`NAME=SIZE`: the SSA value (with or without '%') that sizes a dynamic dim."""
    out: dict[str, int] = {}
    for item in items:
        name, size = _pair(item, "--dim", "NAME=SIZE")
        out[name.lstrip("%")] = size
    return out


def read_costs(path: Path | None) -> dict[str, int]:
    """`--costs FILE`: a JSON object from dispatch symbol to an integer compute cost."""
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise PlacementError(f"cannot read --costs file: {e}", str(path)) from None
    if not isinstance(data, dict) or not all(
            isinstance(k, str) and isinstance(v, int) and v >= 0 for k, v in data.items()):
        raise PlacementError("--costs must be a JSON object of dispatch symbol -> "
                             "non-negative integer", str(path))
    return data


def run_place(module: Module, name: str, fmt: PlaceFormat, options: Options,
              time_limit: float, strict_budget: bool, evaluate_only: bool) -> tuple[str, int]:
    """The command's output text and exit code for one parsed, verified module."""
    from rich.console import Console

    from placement.annotate import solve_module
    from placement.model.place_cpsat import SolveResult, solve
    from placement.place.cost import evaluate, iree_assignment, objective
    from placement.place.pins import choose_pins, render_pins
    from placement.place.problem import build_problem
    from placement.place.report import build_report, dot, print_report

    problem = build_problem(module, solve_module(module, "fixpoint"), options)
    if evaluate_only:
        place = iree_assignment(problem)
        value = objective(problem, evaluate(problem, place))
        result = SolveResult("EVALUATED", place, value, None)
    else:
        result = solve(problem, time_limit, strict_budget)
    if result.place is None:
        lines = [f"error: no placement: {result.status}"]
        lines += [f"  conflicting: {c}" for c in result.conflicts]
        sys.stderr.write("\n".join(lines) + "\n")
        return "", 1
    place = result.place
    if fmt == PlaceFormat.dot:
        return dot(problem, place), 0
    pins = None
    unrealized: list[str] = []
    out = ""
    if fmt == PlaceFormat.mlir and not evaluate_only:
        if any(len(p) > 1 for p in place):
            from placement.ir.printer import print_ir
            from placement.ir.rewrite import Rewriter
            from placement.place.replicas import emit_replicas

            rw = Rewriter(module)
            single = emit_replicas(module, problem, place, rw)
            chosen = choose_pins(module, problem, single)
            for op, text in chosen.pins:
                rw.set_attribute(op, "stream.affinity", text)
            out = print_ir(module)
        else:
            chosen = choose_pins(module, problem, place)
            out = render_pins(module, chosen.pins)
        unrealized = [problem.decisions[i].label for i in chosen.unrealized]
        for u in unrealized:
            sys.stderr.write(f"warning: the analysis does not derive the choice for {u}\n")
        return out, 0
    doc = build_report(problem, result, place, name, pins, unrealized, evaluate_only)
    if fmt == PlaceFormat.json:
        return json.dumps(doc, indent=2) + "\n", 0
    console = Console(highlight=False, width=160, record=True, file=io.StringIO())
    print_report(doc, console)
    return console.export_text(), 0


@reports_errors
def place_command(
    input: FileArg,
    output: OutputOpt = "-",
    format: Annotated[PlaceFormat, typer.Option(
        "--format", "-f", help="mlir (the module with pins), table, json or dot.")
    ] = PlaceFormat.mlir,
    budget: Annotated[list[str] | None, typer.Option(
        "--budget", help="Memory limit @DEVICE=BYTES (repeatable).")] = None,
    link: Annotated[list[str] | None, typer.Option(
        "--link", help="Weight of moving one byte FROM:TO=WEIGHT (repeatable).")] = None,
    dim: Annotated[list[str] | None, typer.Option(
        "--dim", help="Size of a dynamic dim NAME=SIZE, NAME its SSA value (repeatable).")
    ] = None,
    dim_default: Annotated[int, typer.Option(
        "--dim-default", help="Size of a dynamic dim without --dim.")] = 1,
    costs: Annotated[Path | None, typer.Option(
        "--costs", help="JSON object: dispatch symbol -> compute cost.")] = None,
    balance_weight: Annotated[int, typer.Option(
        "--balance-weight", help="Weight of the makespan term (0: off).")] = 0,
    storage_weight: Annotated[int, typer.Option(
        "--storage-weight", help="Weight of each extra replica's bytes.")] = 1,
    max_changes: Annotated[int | None, typer.Option(
        "--max-changes", help="At most K decisions differ from IREE's choice.")] = None,
    time_limit: Annotated[float, typer.Option(
        "--time-limit", help="Solver limit in seconds (CP-SAT deterministic time).")] = 60.0,
    candidates: Annotated[Candidates, typer.Option(
        "--candidates", help="potential: the analysis' set (all devices when empty); all: "
        "every device for every unpinned decision.")] = Candidates.potential,
    replicate: Annotated[bool, typer.Option(
        "--replicate", help="Let immutable globals be replicated on several devices.")] = False,
    strict_budget: Annotated[bool, typer.Option(
        "--strict-budget", help="Budgets are hard: fail (exit 1) naming the conflicting pins "
        "and budgets instead of the least-over answer.")] = False,
    evaluate_only: Annotated[bool, typer.Option(
        "--evaluate", help="Score the placement the module already has; no solve.")] = False,
) -> None:
    """Choose one device per op and a placement per global at minimal transfer cost.

    Examples:

      placement place model.mlir -o placed.mlir

      placement place model.mlir --budget @device_a=64K -f table

      placement place model.mlir --evaluate -f json
    """
    from placement.commands.unify import parse_budgets
    from placement.place.problem import Options

    if time_limit <= 0:
        raise PlacementError("--time-limit must be positive", "--time-limit")
    if max_changes is not None and max_changes < 0:
        raise PlacementError("--max-changes must be >= 0", "--max-changes")
    options = Options(budgets=parse_budgets(budget or []), links=parse_links(link or []),
                      dims=parse_dims(dim or []), dim_default=dim_default,
                      costs=read_costs(costs), balance_weight=balance_weight,
                      storage_weight=storage_weight, max_changes=max_changes,
                      candidates=candidates.value, replicate=replicate)
    fmt = format
    if evaluate_only and fmt == PlaceFormat.mlir:
        fmt = PlaceFormat.table
    run = Run(input, output, False)
    codes = run.each(lambda item: _place_one(run, item, fmt, options, time_limit,
                                             strict_budget, evaluate_only))
    run.finish()
    code = max((c for c in codes if c is not None), default=0)
    if code:
        raise typer.Exit(code)


def _place_one(run: Run, item: Loaded, fmt: PlaceFormat, options: Options, time_limit: float,
               strict_budget: bool, evaluate_only: bool) -> int:
    text, code = run_place(item.module, run.name, fmt, options, time_limit, strict_budget,
                           evaluate_only)
    run.output.write(text)
    return code
