"""`placement unify FILE`: IREE's UnifyEncodingForGlobals, or a cost-optimal and safe choice.

Registered on the main app with `app.command("unify")(unify_command)`.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from placement.diagnostics import PlacementError

if TYPE_CHECKING:  # the solver stack (OR-Tools) loads only when `unify` runs
    from placement.encoding.report import UnifyResult
    from placement.model.encoding_cpsat import Weights


class Policy(StrEnum):
    IREE = "iree"
    OPTIMAL = "optimal"


class Format(StrEnum):
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


def run_unify(source: str, filename: str, policy: str, split: bool, fmt: str,
              budgets: dict[str, int], weights: Weights,
              rewrite_executables: bool = False) -> str:
    """The text `placement unify` prints for one input."""
    from placement.encoding.report import to_json_text, to_table
    from placement.encoding.unify import parse_chunk, rewritten, split_chunks, unify_module

    chunks = split_chunks(source) if split else [(0, source)]
    results: list[UnifyResult] = []
    outputs: list[str] = []
    for first_line, text in chunks:
        if split and not _has_code(text):
            outputs.append("")  # an empty chunk stays empty
            continue
        module = parse_chunk(text, first_line, filename)
        result = unify_module(module, policy, weights, budgets)
        results.append(result)
        if fmt == Format.MLIR:
            outputs.append(rewritten(result, rewrite_executables))
        elif fmt == Format.TABLE:
            outputs.append(to_table(result))
    if fmt == Format.JSON:
        return to_json_text(results)
    return "// -----\n".join(outputs)


def _has_code(text: str) -> bool:
    return any(line.strip() and not line.strip().startswith("//")
               for line in text.splitlines())


def unify_command(
    file: Annotated[Path, typer.Argument(
        help="Stream-level MLIR module to unify, or '-' for stdin.")],
    policy: Annotated[Policy, typer.Option(
        "--policy", help="iree: IREE 3.13's choice; optimal: CP-SAT minimal cost, safe.")
    ] = Policy.OPTIMAL,
    split_input_file: Annotated[bool, typer.Option(
        "--split-input-file", help="Process each '// -----' chunk separately.")] = False,
    fmt: Annotated[Format, typer.Option("--format", help="Output: mlir, table or json.")
                   ] = Format.MLIR,
    budget: Annotated[list[str] | None, typer.Option(
        "--budget", help="Per-device byte budget DEVICE=BYTES (repeatable).")] = None,
    weights: Annotated[str, typer.Option(
        "--weights", help="Cost weights, e.g. runtime=16,init=1 (also storage, encode, "
                          "relayout, dynamic_dim).")] = "runtime=16,init=1",
    rewrite_executables: Annotated[bool, typer.Option(
        "--rewrite-executables",
        help="Also retype the dispatched executables' bindings and duplicate executables "
             "whose sites disagree, as IREE 3.13 does (off: real compiles of it fail).")
    ] = False,
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="Write here instead of stdout (never the input file).")
    ] = None,
) -> None:
    """Unify the encodings of encoded globals (IREE's UnifyEncodingForGlobals)."""
    try:
        stdin = str(file) == "-"
        if output is not None and not stdin and output.resolve() == file.resolve():
            raise PlacementError("refusing to overwrite the input file; choose another -o",
                                 str(output))
        try:
            source = sys.stdin.read() if stdin else file.read_text()
        except (OSError, UnicodeDecodeError) as e:
            raise PlacementError(f"cannot read input: {e}", str(file)) from None
        text = run_unify(source, "<stdin>" if stdin else str(file), policy.value,
                         split_input_file, fmt.value, parse_budgets(budget or []),
                         _weights(weights), rewrite_executables)
        if output is not None:
            try:
                output.write_text(text)
            except OSError as e:
                raise PlacementError(f"cannot write output: {e}", str(output)) from None
        else:
            sys.stdout.write(text)
    except PlacementError as e:
        typer.echo(e.render(), err=True)
        raise typer.Exit(2) from None


def make_app() -> typer.Typer:
    """A stand-alone app with just this command (tests; the project app registers it too)."""
    app = typer.Typer(add_completion=False)
    app.command("unify")(unify_command)

    @app.callback()
    def _root() -> None:
        """placement (unify only)."""

    return app
