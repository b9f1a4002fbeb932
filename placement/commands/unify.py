"""`placement unify FILE`: IREE's UnifyEncodingForGlobals, or a cost-optimal and safe choice."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from placement.commands.common import FileArg, Loaded, OutputOpt, Run, SplitOpt, reports_errors
from placement.diagnostics import PlacementError

if TYPE_CHECKING:  # the solver stack (OR-Tools) loads only when `unify` runs
    from placement.encoding.report import UnifyResult
    from placement.model.encoding_cpsat import Weights


class Policy(StrEnum):
    """Who chooses the unified encoding."""

    IREE = "iree"
    OPTIMAL = "optimal"


class Format(StrEnum):
    """Output formats of `unify`."""

    MLIR = "mlir"
    TABLE = "table"
    JSON = "json"


def _weights(text: str) -> Weights:
    from placement.model.encoding_cpsat import Weights

    return Weights.parse(text)


def parse_budgets(items: list[str]) -> dict[str, int]:
    """`DEVICE=BYTES` (device global name, with or without '@'; BYTES may use _ or K/M/G)."""
    out: dict[str, int] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip().lstrip("@")
        text = value.strip().replace("_", "").upper()
        scale = 1
        for suffix, factor in (("KIB", 1024), ("MIB", 1024 ** 2), ("GIB", 1024 ** 3),
                               ("K", 1024), ("M", 1024 ** 2), ("G", 1024 ** 3)):
            if text.endswith(suffix):
                text, scale = text[:-len(suffix)], factor
                break
        if not sep or not name or not text.isdigit():
            raise PlacementError(f"bad budget '{item}': expected DEVICE=BYTES", "--budget")
        out[name] = int(text) * scale
    return out


def unify_case(item: Loaded, policy: str, fmt: str, budgets: dict[str, int],
               weights: Weights,
               verify_failures: list[str] | None = None) -> tuple[UnifyResult, str]:
    """One case's result and the text it prints (MLIR or table; JSON is printed whole).

    With `verify_failures` (a list), the end-to-end check runs on the case
    (`placement.e2e.verify`) and its report goes to stderr; a unified module that fails where
    the input compiles, or runs differently, is appended to the list."""
    from placement.encoding.report import to_table
    from placement.encoding.unify import rewritten, unify_module

    result = unify_module(item.module, policy, weights, budgets)
    verify = verify_failures is not None
    text = rewritten(result) if fmt == Format.MLIR or verify else ""
    if verify_failures is not None and not _verify_case(item, text):
        verify_failures.append(f"case {item.case.index}")
    if fmt == Format.MLIR:
        return result, text
    if fmt == Format.TABLE:
        return result, to_table(result)
    return result, ""


def _verify_case(item: Loaded, unified: str) -> bool:
    from placement.e2e.tools import missing_tools
    from placement.e2e.verify import verify

    missing = missing_tools()
    if missing:
        raise PlacementError("--verify needs the oracle extra (pip install "
                             "'placement[oracle]'): missing " + ", ".join(missing), "--verify")
    report = verify(item.case.text, unified)
    where = f"verify (case at line {item.case.first_line})" if item.case.index else "verify"
    for line in report.lines():
        print(f"{where}: {line}", file=sys.stderr)
    return report.ok


def run_unify(source: str, filename: str, policy: str, split: bool, fmt: str,
              budgets: dict[str, int], weights: Weights) -> str:
    """The text `placement unify` prints for one input text (the first error is raised)."""
    from placement.encoding.report import to_json_text
    from placement.inputs import split_cases
    from placement.ir import load

    results: list[UnifyResult] = []
    outputs: list[str] = []
    for case in split_cases(source, split):
        if not case.has_code:
            outputs.append("")  # an empty chunk stays empty
            continue
        result, text = unify_case(Loaded(case, load(case.text, filename)), policy, fmt,
                                  budgets, weights)
        results.append(result)
        outputs.append(text)
    if fmt == Format.JSON:
        return to_json_text(results)
    return "// -----\n".join(outputs)


@reports_errors
def unify_command(
    input: FileArg,
    policy: Annotated[Policy, typer.Option(
        "--policy", help="iree: IREE 3.13's choice; optimal: CP-SAT minimal cost, safe.")
    ] = Policy.OPTIMAL,
    split_input_file: SplitOpt = False,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output: mlir, table or json.")
                   ] = Format.MLIR,
    budget: Annotated[list[str] | None, typer.Option(
        "--budget", metavar="DEVICE=BYTES",
        help="Per-device byte budget (repeatable).")] = None,
    weights: Annotated[str, typer.Option(
        "--weights", metavar="NAME=W,...",
        help="Cost weights, e.g. runtime=16,init=1 (also storage, encode, relayout, "
             "dynamic_dim).")] = "runtime=16,init=1",
    verify: Annotated[bool, typer.Option(
        "--verify",
        help="Compile the input and the unified module with the real compiler (oracle extra), "
             "run both on this CPU where possible, compare outputs bit for bit, and report "
             "stored bytes of encoded weights after the stream pipeline (stderr). Exit 1 if "
             "the unified module fails where the input compiles or runs differently.")
    ] = False,
    output: OutputOpt = "-",
) -> None:
    """Unify the encodings of encoded globals (IREE's UnifyEncodingForGlobals).

    Examples:

      placement unify scenarios/unify_cpu_prefill_decode.mlir --format table

      placement unify --policy iree model.mlir -o unified.mlir
    """
    from placement.encoding.report import to_json_text

    budgets = parse_budgets(budget or [])
    cost = _weights(weights)
    run = Run(input, output, split_input_file, empty_text=None)
    failures: list[str] | None = [] if verify else None
    done = run.each(lambda item: unify_case(item, policy.value, fmt.value, budgets, cost,
                                            failures))
    if fmt == Format.JSON:
        run.finish(to_json_text([d[0] for d in done if d is not None]))
    else:
        run.finish("// -----\n".join(d[1] if d is not None else "" for d in done))
    if failures:
        print("error: the unified module breaks the program (see the verify lines above)",
              file=sys.stderr)
        raise typer.Exit(1)


def make_app() -> typer.Typer:
    """A stand-alone app with just this command (tests; the project app registers it too)."""
    app = typer.Typer(add_completion=False)
    app.command("unify")(unify_command)

    @app.callback()
    def _root() -> None:
        """placement (unify only)."""

    return app
