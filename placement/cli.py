"""The `placement` command line: one typer app; each command lives in `placement.commands`.

Start-up stays fast: this module imports nothing heavy, and a plain invocation
(`placement solve FILE -o OUT --format table`) is called directly: only that command's module
is imported, and its arguments are read from its own typer declarations (`direct_call`)
without building the typer app (whose parameter coercion loads pydantic). Anything else
(`--help`, a usage error, an option the direct reader does not handle) goes to the full typer
app, so help and usage errors are always typer's. Engines, solvers and rich load when a
command runs. A new command is one row of `COMMANDS`.
"""

from __future__ import annotations

import gc
import importlib
import os
import re
import sys
import typing
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from placement import __version__

if TYPE_CHECKING:
    import typer

# name, module, function, short help: the order of `placement --help`.
COMMANDS: tuple[tuple[str, str, str, str], ...] = (
    ("solve", "placement.commands.solve", "solve_command",
     "Annotate affinities as iree-opt does."),
    ("check", "placement.commands.check", "check_command",
     "Cross-check the engines (and iree-opt)."),
    ("explain", "placement.commands.explain", "explain_command",
     "Why a value or op lives where it lives."),
    ("unify", "placement.commands.unify", "unify_command",
     "Unify the encodings of encoded globals."),
    ("place", "placement.commands.place", "place_command",
     "Pick one device per op at least cost (CP-SAT)."),
    ("whatif", "placement.commands.whatif", "whatif_command",
     "What a scenario's edits change and cost."),
)


def command_function(name: str) -> Callable[..., Any] | None:
    """The function of command `name` (its module imported), or None if there is none."""
    for command, module, function, _ in COMMANDS:
        if command == name:
            return typing.cast(Callable[..., Any],
                               getattr(importlib.import_module(module), function))
    return None


def build_app() -> typer.Typer:
    """The typer app with every command registered (built on first use: `placement.cli.app`)."""
    import typer

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

    for name, _, _, short_help in COMMANDS:
        function = command_function(name)
        assert function is not None
        app.command(name, short_help=short_help)(function)
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


# --------------------------------------------------------------------------- direct calls
# The typer parameter options a direct call may see set: they change help text or are
# implied by the checks below. Any other option set (callback, envvar, prompt, min/max, exists,
# parser...) sends the call to typer.
_DISPLAY_ONLY = frozenset({
    "param_decls", "default", "help", "metavar", "show_default", "show_choices",
    "show_envvar", "rich_help_panel", "hidden", "allow_dash", "case_sensitive",
    "autocompletion", "shell_complete"})
_INT = re.compile(r"-?(0|[1-9][0-9]*)")


@dataclass(frozen=True)
class _Param:
    """One parameter of a command as typer declares it: an option (with its names) or an
    argument (no names)."""

    name: str
    kind: type
    names: tuple[str, ...]
    required: bool
    default: Any


class _Unhandled(Exception):
    """The direct reader does not handle this argument list: typer will."""


def _params(function: Callable[..., Any]) -> list[_Param]:
    """The parameters of a typer command function, as typer itself reads its declarations."""
    from typer.models import ArgumentInfo, OptionInfo
    from typer.utils import get_params_from_function

    out = []
    for name, meta in get_params_from_function(function).items():
        info, kind = meta.default, meta.annotation
        if not isinstance(info, (ArgumentInfo, OptionInfo)) or not isinstance(kind, type):
            raise _Unhandled
        blank = vars(type(info)())
        if any(v != blank[k] for k, v in vars(info).items() if k not in _DISPLAY_ONLY):
            raise _Unhandled
        if not (kind in (bool, str, int, Path) or issubclass(kind, Enum)):
            raise _Unhandled
        names = tuple(info.param_decls or ()) if isinstance(info, OptionInfo) else ()
        if isinstance(info, OptionInfo) and (not names or any("/" in n for n in names)):
            raise _Unhandled  # typer's own --x/--no-x names
        if isinstance(info, ArgumentInfo) and kind is bool:
            raise _Unhandled
        required = info.default is ...
        if not required and not isinstance(info.default, kind):
            raise _Unhandled
        out.append(_Param(name, kind, names, required, info.default))
    return out


def _convert(param: _Param, text: str) -> Any:
    """`text` as the value of `param`, as typer would coerce it (or _Unhandled)."""
    kind = param.kind
    if kind is str:
        return text
    if kind is int and _INT.fullmatch(text):
        return int(text)
    if kind is Path:
        if text != "-" and os.path.exists(text) and not os.access(text, os.R_OK):
            raise _Unhandled  # typer's "is not readable"
        return Path(text)
    if issubclass(kind, Enum):
        for member in kind:
            if str(member.value) == text:
                return member
    raise _Unhandled


def _read(params: list[_Param], args: list[str]) -> dict[str, Any]:
    """The keyword arguments of a command call, read from `args` as click reads them."""
    by_name = {n: p for p in params for n in p.names}
    positional = [p for p in params if not p.names]
    values: dict[str, Any] = {}
    loose: list[str] = []
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        if arg == "--":
            loose.extend(rest)
            break
        if len(arg) < 2 or not arg.startswith("-"):
            loose.append(arg)
            continue
        if arg.startswith("--"):
            name, eq, attached = arg.partition("=")
            value: str | None = attached if eq else None
        else:
            name, value = arg[:2], (arg[2:] or None)
        param = by_name.get(name)
        if param is None:
            raise _Unhandled
        if param.kind is bool:
            if value is not None:
                raise _Unhandled
            values[param.name] = True
            continue
        if value is None:
            if not rest:
                raise _Unhandled
            value = rest.pop(0)
        values[param.name] = _convert(param, value)
    if len(loose) != len(positional):
        raise _Unhandled
    for param, text in zip(positional, loose, strict=True):
        values[param.name] = _convert(param, text)
    for param in params:
        if param.name not in values:
            if param.required:
                raise _Unhandled
            values[param.name] = param.default
    return values


def direct_call(argv: list[str]) -> Callable[[], Any] | None:
    """The command call `argv` asks for, when it is a plain one the direct reader handles;
    None otherwise (typer then parses it)."""
    if not argv:
        return None
    try:
        function = command_function(argv[0])
        if function is None:
            return None
        values = _read(_params(function), argv[1:])
    except _Unhandled:
        return None
    return lambda: function(**values)


def _call(command: Callable[[], Any]) -> int:
    """Run a direct command call as typer's standalone mode would; its exit code."""
    import typer

    try:
        command()
    except typer.Exit as e:
        return e.exit_code
    except typer.Abort:
        print("Aborted!", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 1
    return 0


def run(argv: list[str], direct: bool = True) -> int:
    """Run the command line on `argv`; return the exit code (2: bad input, 1: disagreement).

    `direct=False` always goes through the typer app (the direct reader's reference)."""
    # A run builds one large acyclic-in-practice object graph and exits: the cyclic garbage
    # collector only rescans it (superlinear on big modules), so it is paused for the run.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        command = direct_call(argv) if direct else None
        if command is not None:
            return _call(command)
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
