"""`placement whatif SCENARIO.toml ...`: apply a scenario's edits to its base module's IR,
re-solve, and report what changes and what it costs (docs/whatif.md).

Exit codes: 0 on success, 2 when a scenario is bad (a located error in its TOML file; nothing
is written with `-o`)."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from placement.commands.common import json_text, reports_errors, write_atomically
from placement.diagnostics import PlacementError


class WhatifFormat(StrEnum):
    """Output formats of `whatif`."""

    table = "table"
    json = "json"
    mlir = "mlir"
    dot = "dot"


@reports_errors
def whatif_command(
    scenarios: Annotated[list[Path], typer.Argument(
        metavar="SCENARIO...", show_default=False,
        help="Scenario TOML files, or directories of them.")],
    output: Annotated[str, typer.Option(
        "-o", "--output", metavar="FILE", help="Write here ('-': stdout), atomically.")] = "-",
    format: Annotated[WhatifFormat, typer.Option(
        "--format", "-f", help="table, json, mlir (the edited module) or dot.")
    ] = WhatifFormat.table,
    jobs: Annotated[int, typer.Option(
        "--jobs", "-j", help="Run scenarios in N processes.")] = 1,
    iree313_bound: Annotated[bool, typer.Option(
        "--iree313-bound", help="Also warn where IREE 3.13's solver would stop at its "
        "iteration bound (a full 3.13 solve of each edited module).")] = False,
) -> None:
    """What changes, and what it costs, when devices, pins, defaults or budgets change.

    Examples:

      placement whatif scenarios/whatif_mlp_third_device.toml

      placement whatif scenarios/ --jobs 2

      placement whatif scenarios/whatif_kv_cache_move.toml -f mlir -o edited.mlir
    """
    from rich.console import Console

    from placement.whatif.batch import expand, run_batch
    from placement.whatif.report import dot, print_matrix, print_report

    paths = expand(scenarios)
    if not paths:
        raise PlacementError("no scenario files given", "")
    if format in (WhatifFormat.mlir, WhatifFormat.dot) and len(paths) > 1:
        raise PlacementError(f"--format {format.value} takes one scenario", "")
    for p in paths:
        if output != "-" and Path(output).resolve() == p.resolve():
            raise PlacementError("refusing to overwrite the scenario file", output)
    matrix = format == WhatifFormat.table and len(paths) > 1  # it prints no derivation
    done = list(run_batch(paths, jobs, want_mlir=format == WhatifFormat.mlir,
                          explain_limit=0 if matrix else 8, bound=iree313_bound))
    failed = [d for d in done if d.error is not None]
    for d in failed:
        print(d.error, file=sys.stderr)
    docs = [d.doc for d in done if d.doc is not None]
    if format == WhatifFormat.json:
        text = json_text(docs[0] if len(paths) == 1 and docs else
                         {"schema": "placement.whatif.batch/1", "scenarios": docs})
    elif format == WhatifFormat.mlir:
        text = done[0].mlir or ""
    elif format == WhatifFormat.dot:
        text = dot(docs[0]) if docs else ""
    else:
        import io

        console = Console(highlight=False, width=180, record=True, file=io.StringIO())
        if len(paths) == 1:
            for doc in docs:
                print_report(doc, console)
        else:
            print_matrix(docs, [d.path.stem for d in failed], console)
        text = console.export_text()
    if output == "-":
        sys.stdout.write(text)
    elif not failed:
        write_atomically(Path(output), text)
    if failed:
        raise typer.Exit(2)
