"""The input and output path every command shares.

One reader (a file, or '-' for stdin), one splitter (`--split-input-file` as iree-opt splits),
one parse + verify per case, and one writer: stdout, or a file written atomically (a temporary
file in the same directory, then a rename), never the input. A bad case is reported as an
MLIR-style diagnostic and the other cases are still processed; the command then exits 2.

This module stays light (typer and the standard library at import time): `placement --help`
and `--version` import every command module.
"""

from __future__ import annotations

import contextlib
import functools
import os
import stat
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import typer

from placement.diagnostics import Note, PlacementError
from placement.inputs import (
    EMPTY_MODULE,
    Case,
    Source,
    join_outputs,
    near_miss_warnings,
    read_source,
    same_file,
    split_input,
    stdin_identity,
)

if TYPE_CHECKING:
    from rich.console import Console

    from placement.ir.core import Module

FileArg = Annotated[Path, typer.Argument(
    metavar="FILE", show_default=False, allow_dash=True,
    help="Input MLIR file, or '-' for stdin.")]
OutputOpt = Annotated[str, typer.Option(
    "-o", "--output", metavar="FILE",
    help="Write here ('-': stdout); written atomically, never over the input.")]
SplitOpt = Annotated[bool, typer.Option(
    "--split-input-file", help="Process each '// -----' case separately, as iree-opt does.")]

class Semantics(StrEnum):
    """Semantics profiles: the seed's rules, or IREE 3.13.0's (docs/iree313.md)."""

    seed = "seed"
    iree_313 = "iree-3.13"


SemanticsOpt = Annotated[Semantics, typer.Option(
    "--semantics", help="seed (the July 2024 rules) or iree-3.13 (what IREE 3.13 prints, "
    ".usage included).")]

P = ParamSpec("P")
R = TypeVar("R")


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Render a PlacementError as its diagnostic on stderr and exit 2 (no traceback)."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except PlacementError as e:
            print(e.render(), file=sys.stderr)
            raise typer.Exit(2) from None

    return wrapper


class Output:
    """Where a command's output goes: stdout ('-'), or a file replaced atomically at the end."""

    def __init__(self, target: str, source: Source) -> None:
        self.path = None if target == "-" else Path(target)
        self.buffer = StringIO()
        if self.path is not None:
            refuse_input_as_output(self.path, source)

    @property
    def to_stdout(self) -> bool:
        """Whether the output is stdout."""
        return self.path is None

    def write(self, text: str) -> None:
        """Add text to the output."""
        self.buffer.write(text)

    def console(self, width: int | None = None) -> Console:
        """A rich console that prints into the output (colors only on a terminal)."""
        from rich.console import Console

        if self.path is None:
            return Console(file=sys.stdout, highlight=False, width=width)
        return Console(file=self.buffer, highlight=False, width=width or 200,
                       color_system=None, force_terminal=False)

    def commit(self, complete: bool) -> None:
        """Send the output: to stdout always; to a file only if every case succeeded (as
        iree-opt keeps its `-o` file only then; an existing file is left untouched)."""
        text = self.buffer.getvalue()
        if self.path is None:
            sys.stdout.write(text)
        elif complete:
            write_atomically(self.path, text)


def refuse_input_as_output(path: Path, source: Source) -> None:
    """A PlacementError if `path` is the input file (same device and inode: hard links and
    symlinks included), or the file stdin is redirected from."""
    ids = [source.file_id]
    if source.path == "-":
        ids.append(stdin_identity())
    else:
        ids.append(_identity_of(Path(source.path)))
    if any(same_file(i, path) for i in ids):
        raise PlacementError("refusing to overwrite the input file; choose another -o path",
                             str(path))


def _identity_of(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` (a symlink's target) by `text`: temporary file in the same directory,
    flushed, then renamed over it. A target that exists and is not a regular file (`/dev/null`,
    a FIFO, a terminal) is written in place: renaming over it would replace the device with a
    file. On failure nothing is written and an error says why."""
    target = Path(os.path.realpath(path))
    fd = -1
    tmp = ""
    try:
        if target.exists() and not stat.S_ISREG(target.stat().st_mode):
            with open(target, "w", encoding="utf-8", newline="") as out:
                out.write(text)
            return
        mode = target.stat().st_mode & 0o7777 if target.exists() else _default_mode()
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                   dir=target.parent)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            fd = -1
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
        tmp = ""
    except OSError as e:
        reason = e.strerror or str(e)
        raise PlacementError(f"cannot write output: {path}: {reason}", "") from None
    finally:
        if fd >= 0:
            os.close(fd)
        if tmp:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@dataclass
class Loaded:
    """One case that parsed and verified."""

    case: Case
    module: Module


class Run:
    """One command run over one input: its cases, their diagnostics, and its output."""

    def __init__(self, input: str | Path, output: str, split: bool,
                 empty_text: str | None = EMPTY_MODULE) -> None:
        self.source = read_source(str(input))
        self.output = Output(output, self.source)
        self.split = split
        self.failures = 0
        parts = split_input(self.source.text, split)
        for warning in near_miss_warnings(self.source.name, self.source.text,
                                          parts.near_misses):
            print(warning, file=sys.stderr)
        self.cases = parts.cases
        self.empty_text = empty_text

    @property
    def name(self) -> str:
        """The input's display name."""
        return self.source.name

    def report(self, error: PlacementError) -> None:
        """Print a case's diagnostic; the run will exit 2."""
        print(error.render(), file=sys.stderr)
        self.failures += 1

    def each(self, work: Callable[[Loaded], R]) -> list[R | None]:
        """`work` on every case, parsed and verified, in order; None for a bad case (its
        diagnostic is printed, the other cases still run). A case without code is the empty
        module, as in iree-opt, unless `empty_text` is None: then it is None too, unreported.
        """
        from placement.ir import load

        out: list[R | None] = []
        for case in self.cases:
            text = case.text if case.has_code else self.empty_text
            if text is None:
                out.append(None)
                continue
            try:
                out.append(work(Loaded(case, load(text, self.name))))
            except PlacementError as e:
                self.report(relocated(e, case, self.source.text))
                out.append(None)
        return out

    def finish(self, text: str | None = None) -> None:
        """Write the output (text added last) and exit 2 if any case failed."""
        if text is not None:
            self.output.write(text)
        self.output.commit(complete=self.failures == 0)
        if self.failures:
            raise typer.Exit(2)


def relocated(error: PlacementError, case: Case, original: str) -> PlacementError:
    """An error located in a case's padded text, located in the whole input instead (so that
    the source line shown is the file's own)."""
    if error.source != case.text or case.shift == 0:
        return error
    shift = case.shift

    def move(offset: int | None) -> int | None:
        return None if offset is None else offset + shift

    notes = tuple(Note(n.message, move(n.offset)) for n in error.notes)
    return PlacementError(error.message, error.filename, original, move(error.offset), notes)


def join_cases(outputs: list[str]) -> str:
    """Case outputs joined as `iree-opt --split-input-file` joins them."""
    return join_outputs(outputs)


def json_text(doc: Any) -> str:
    """A JSON document as the commands print it."""
    import json

    return json.dumps(doc, indent=2) + "\n"
