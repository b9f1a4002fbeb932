"""The `placement` command line (typer + rich)."""

from __future__ import annotations

import gc
import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from typer._click import ClickException

from placement import __version__
from placement.annotate import annotate_text, compute_annotations, solve_module
from placement.diagnostics import PlacementError
from placement.inputs import join_outputs, read_input, split_cases
from placement.ir import load
from placement.ir.core import Module
from placement.report import affinity_json, print_table
from placement.solution import Solution

app = typer.Typer(
    name="placement",
    help="Where each value of a multi-device IREE program lives, why, and what a change costs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class OutputFormat(StrEnum):
    """Output formats of `solve`."""

    mlir = "mlir"
    table = "table"
    json = "json"


class Semantics(StrEnum):
    """Semantics profiles: the seed's rules, or IREE 3.13.0's (docs/iree313.md)."""

    seed = "seed"
    iree_313 = "iree-3.13"


SemanticsOpt = Annotated[Semantics, typer.Option(
    "--semantics", help="seed (the July 2024 rules) or iree-3.13 (what IREE 3.13 prints, "
    ".usage included).")]


class Engine(StrEnum):
    """Engines of `solve`."""

    fixpoint = "fixpoint"
    z3 = "z3"
    both = "both"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"placement {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Affinity analysis and encoding placement for multi-device IREE programs."""


InputArg = Annotated[str, typer.Argument(help="Input MLIR file, or '-' for stdin.")]
OutputOpt = Annotated[Path | None, typer.Option("-o", "--output",
                                                help="Write here instead of stdout.")]
SplitOpt = Annotated[bool, typer.Option("--split-input-file",
                                        help="Treat '// -----' lines as case separators.")]


def write_output(text: str, output: Path | None, input_path: str) -> None:
    """Write to stdout or a file; never over the input file."""
    if output is None:
        sys.stdout.write(text)
        return
    if input_path != "-" and Path(input_path).resolve() == output.resolve():
        raise PlacementError("refusing to overwrite the input file; choose another -o path",
                             str(output))
    output.write_text(text)


@app.command()
def solve(
    input: InputArg,
    output: OutputOpt = None,
    split_input_file: SplitOpt = False,
    format: Annotated[OutputFormat, typer.Option("--format", "-f",
                                                 help="mlir, table or json.")] = OutputFormat.mlir,
    engine: Annotated[Engine, typer.Option("--engine", help="Engine to compute with; "
                                           "'both' fails if they disagree.")] = Engine.fixpoint,
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
    name, text = read_input(input)
    outputs: list[str] = []
    documents: list[dict[str, object]] = []
    for case in split_cases(text, split_input_file):
        if split_input_file and not case.text.strip():
            outputs.append("module {\n}\n")
            continue
        module = load(case.text, name)
        solution = _solve(module, engine.value, semantics.value)
        _warn_solver_bound(module, solution, solver_max_iterations)
        if format == OutputFormat.mlir:
            outputs.append(annotate_text(module, solution))
        elif format == OutputFormat.json:
            documents.append(affinity_json(module, solution, compute_annotations(module,
                                                                                 solution)))
        else:
            print_table(module, solution, compute_annotations(module, solution))
    if format == OutputFormat.mlir:
        write_output(join_outputs(outputs), output, input)
    elif format == OutputFormat.json:
        doc = {"schema": "placement.affinities/1", "file": name, "engine": engine.value,
               "cases": documents}
        write_output(json.dumps(doc, indent=2) + "\n", output, input)


def _warn_solver_bound(module: Module, solution: Solution, max_iterations: int) -> None:
    """Under iree-3.13: a `warning:` where IREE 3.13's solver would give up (spec 10.1#10)."""
    estimate = solution.solver_bound
    if estimate is not None and estimate.exceeds(max_iterations):
        from placement.iree313.bound import bound_warning

        print(bound_warning(module, estimate, max_iterations), file=sys.stderr)


def _solve(module: Module, engine: str, semantics: str = "seed") -> Solution:
    """Solve with one engine, or with both and fail with the differences if they disagree."""
    if engine != "both":
        return solve_module(module, engine, semantics)
    from placement.check import compare_solutions

    first = solve_module(module, "fixpoint", semantics)
    second = solve_module(module, "z3", semantics)
    diffs = compare_solutions(module, first, second)
    if diffs:
        raise EnginesDisagree(diffs)
    return first


def _register_commands() -> None:
    """Commands that live in their own modules."""
    from placement.encoding.cli import unify_command

    app.command("unify")(unify_command)
    from placement.commands.check import check_command

    app.command("check")(check_command)
    from placement.commands.explain import explain_command

    app.command("explain")(explain_command)


_register_commands()


class EnginesDisagree(Exception):
    """Raised by `--engine both` when the engines' annotations differ."""

    def __init__(self, diffs: list[str]) -> None:
        super().__init__("\n".join(diffs))
        self.diffs = diffs


def run(argv: list[str]) -> int:
    """Run the command line on `argv`; return the exit code (2: bad input, 1: disagreement)."""
    # A run builds one large acyclic-in-practice object graph and exits: the cyclic garbage
    # collector only rescans it (superlinear on big modules), so it is paused for the run.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        result = app(args=argv, prog_name="placement", standalone_mode=False)
    except PlacementError as e:
        print(e.render(), file=sys.stderr)
        return 2
    except EnginesDisagree as e:
        print("error: the engines disagree:", file=sys.stderr)
        for line in e.diffs:
            print("  " + line, file=sys.stderr)
        return 1
    except typer.Exit as e:
        return int(e.exit_code)
    except typer.Abort:
        return 130
    except ClickException as e:  # usage errors
        e.show()
        return e.exit_code
    except Exception as e:  # a bug of ours: say so plainly, traceback only on request
        if os.environ.get("PLACEMENT_DEBUG"):
            raise
        print(f"error: internal error: {type(e).__name__}: {e} (set PLACEMENT_DEBUG=1 for a "
              "traceback, and please report it)", file=sys.stderr)
        return 3
    finally:
        if gc_was_enabled:
            gc.enable()
    return result if isinstance(result, int) else 0


def main() -> None:
    """Console entry point.

    Exits without tearing down the (possibly millions of) IR objects one by one: all output
    is written and flushed first, so the interpreter's slow final cleanup is skipped.
    """
    code = run(sys.argv[1:])
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # the reader went away (`placement solve x | head`)
        code = code or 1
    os._exit(code)


if __name__ == "__main__":
    main()
