"""Our verdict on a mutant against iree-opt's: accepted, located error, or internal error.

`our_verdict(text)` runs what `placement solve` runs (parse, verify, the fixpoint engine, the
printer) in-process, under a time limit, and classifies the outcome. `iree_reason(message)`
sorts iree-opt's first error into the reasons our parser and verifier are meant to cover
(syntax, SSA names, blocks, symbols, result counts) and the rest (types and op verifiers, which
`placement` does not check). `in_opaque_body(text, line, col)` says whether iree-opt's error
lies inside an executable body that our parser keeps verbatim (a body holding ops the op table
does not know: bracket matching only, by design), which no rule of ours covers.
"""

from __future__ import annotations

import re
import signal
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

from placement.annotate import annotate_text, solve_module
from placement.diagnostics import PlacementError
from placement.ir import load

ACCEPTED = "accepted"
REJECTED = "rejected"  # a located PlacementError
UNLOCATED = "unlocated"  # a PlacementError without line and column
INTERNAL = "internal"  # any other exception: a bug
TIMEOUT = "timeout"


@dataclass(frozen=True)
class Ours:
    """Outcome of parse + verify + solve + print on one text."""

    status: str
    message: str = ""

    @property
    def ok(self) -> bool:
        """Accepted, or rejected with a located diagnostic (what bad input must give)."""
        return self.status in (ACCEPTED, REJECTED)


class _Timeout(Exception):
    pass


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    def fire(signum: int, frame: FrameType | None) -> None:
        raise _Timeout()

    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def our_verdict(text: str, filename: str = "<mutant>", seconds: float = 10.0) -> Ours:
    """Parse, verify, solve and print `text`; how it ended (never raises)."""
    try:
        with _time_limit(seconds):
            module = load(text, filename)
            annotate_text(module, solve_module(module, "fixpoint"))
    except PlacementError as e:
        status = REJECTED if e.source is not None and e.offset is not None else UNLOCATED
        return Ours(status, e.message)
    except _Timeout:
        return Ours(TIMEOUT, f"more than {seconds} s")
    except Exception as e:  # RecursionError, ValueError, ...: all bugs
        last = traceback.extract_tb(e.__traceback__)[-1]
        return Ours(INTERNAL, f"{type(e).__name__}: {str(e)[:200]} "
                              f"({last.filename.rsplit('/', 1)[-1]}:{last.lineno})")
    return Ours(ACCEPTED)


# iree-opt's first error, by what produces it. "covered": our parser or verifier is meant to
# reject the same input; "semantic": op verifiers and type checks, which placement does not do.
_COVERED = re.compile(
    r"^(expected |unexpected |unbalanced |custom op '.*' is unknown|Dialect `.*' not found|"
    r"use of undeclared SSA value|redefinition of |reference to an undefined block|"
    r"undefined symbol|'[\w.]+' op '[\w@$.\-]*' does not reference a valid|"
    r"operation defines \d+ results but was provided \d+ to bind|invalid |unknown |"
    r"integer constant out of range|.*result number .* out of range|"
    r"redefinition of symbol|block with no terminator|empty block|"
    r"operation with block successors must terminate its parent block|"
    r"definition of SSA value .* has type|"
    r"use of value .* expects different type than prior uses)")


def iree_reason(message: str) -> str:
    """"covered" or "semantic" for an iree-opt error message (see above)."""
    return "covered" if _COVERED.match(message) else "semantic"


def offset_of(text: str, line: int, col: int) -> int:
    """The character offset of MLIR's `line:col` (1-based; the column counts UTF-8 bytes)."""
    start = 0
    for _ in range(line - 1):
        nl = text.find("\n", start)
        if nl < 0:
            return len(text)
        start = nl + 1
    end = text.find("\n", start)
    head = text[start:len(text) if end < 0 else end].encode("utf-8", "surrogatepass")
    return start + len(head[:max(col - 1, 0)].decode("utf-8", "ignore"))


def in_opaque_body(text: str, line: int | None, col: int | None) -> bool:
    """Whether `line:col` of `text` falls inside an executable body kept verbatim (an opaque
    region of our parse; False if we reject the text or the position is unknown)."""
    if line is None or col is None:
        return False
    try:
        module = load(text, "<mutant>")
    except Exception:
        return False
    at = offset_of(text, line, col)
    return any(r.opaque and r.start <= at < r.end
               for op in module.root.walk() for r in op.regions)
