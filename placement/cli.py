"""The `placement` command line: one typer app; each command lives in `placement.commands`.

Start-up stays fast (`placement --help`, `--version`): this module imports nothing heavy (the
app is built on first use), the command modules import only typer and the input/output path,
and engines, solvers and rich load when a command runs. A new command is one line in
`build_app`.
"""

from __future__ import annotations

import gc
import os
import sys
from typing import TYPE_CHECKING, Any

from placement import __version__

if TYPE_CHECKING:
    import typer


def build_app() -> typer.Typer:
    """The typer app with every command registered (built on first use: `placement.cli.app`)."""
    import typer

    from placement.commands.check import check_command
    from placement.commands.explain import explain_command
    from placement.commands.place import place_command
    from placement.commands.solve import solve_command
    from placement.commands.unify import unify_command
    from placement.commands.whatif import whatif_command

    app = typer.Typer(
        name="placement",
        help="Where each value of a multi-device IREE program lives, why, and what a change "
             "costs.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,  # plain help: rich loads only for the tables of a real run
    )

    def _version(value: bool) -> None:
        if value:
            typer.echo(f"placement {__version__}")
            raise typer.Exit()

    @app.callback()
    def _root(  # (the option as a default value: string annotations see module globals)
        version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                     help="Print the version and exit."),
    ) -> None:
        """Affinity analysis and encoding placement for multi-device IREE programs."""

    app.command("solve", short_help="Annotate affinities as iree-opt does.")(solve_command)
    app.command("check", short_help="Cross-check the engines (and iree-opt).")(check_command)
    app.command("explain", short_help="Why a value or op lives where it lives.")(
        explain_command)
    app.command("unify", short_help="Unify the encodings of encoded globals.")(unify_command)
    app.command("place", short_help="Pick one device per op at least cost (CP-SAT).")(
        place_command)
    app.command("whatif", short_help="What a scenario's edits change and cost.")(whatif_command)
    return app


_APP: typer.Typer | None = None


def __getattr__(name: str) -> Any:
    """`placement.cli.app`: the app, built once on first access."""
    global _APP
    if name == "app":
        if _APP is None:
            _APP = build_app()
        return _APP
    raise AttributeError(name)


def run(argv: list[str]) -> int:
    """Run the command line on `argv`; return the exit code (2: bad input, 1: disagreement)."""
    # A run builds one large acyclic-in-practice object graph and exits: the cyclic garbage
    # collector only rescans it (superlinear on big modules), so it is paused for the run.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        __getattr__("app")(args=argv, prog_name="placement", standalone_mode=True)
    except SystemExit as e:  # typer ends every standalone run so (usage errors: code 2)
        code = e.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # a bug of ours: say so plainly, traceback only on request
        if os.environ.get("PLACEMENT_DEBUG"):
            raise
        print(f"error: internal error: {type(e).__name__}: {e} (set PLACEMENT_DEBUG=1 for a "
              "traceback, and please report it)", file=sys.stderr)
        return 3
    finally:
        if gc_was_enabled:
            gc.enable()
    return 0


def main() -> None:
    """Console entry point.

    Exits without tearing down the (possibly millions of) IR objects one by one: all output
    is written and flushed first, so the interpreter's slow final cleanup is skipped.
    """
    argv = sys.argv[1:]
    if argv == ["--version"]:  # answered without loading the command line
        print(f"placement {__version__}")
        code = 0
    else:
        code = run(argv)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # the reader went away (`placement solve x | head`)
        code = code or 1
    os._exit(code)


if __name__ == "__main__":
    main()
