"""Where IREE 3.13's DFX solver would stop: its iteration bound, reported, never applied.

3.13 gives up after `--iree-stream-affinity-solver-max-iterations` (default 128) iterations
and the pass then fails without output (spec 10.1#10). The profile always computes the
fixpoint; this module estimates how many iterations 3.13 needs, to warn where it would stop.

The estimate replays the element graph as the solver schedules it, approximately: one
Gauss-Seidel pass in creation order (the updates run while elements are created, which settle
chains that point forward in creation order), then synchronous rounds (a change reaches the
elements that read it in the next iteration). Calibrated against iree-opt 3.13.0 on tie
chains (docs/iree313.md): 3.13 fails when the estimate reaches bound + 7, exact to one
iteration on unpinned chains (fails from 66 deep), bottom-pinned chains (from 135) and
top-pinned chains (never).
"""

from __future__ import annotations

from dataclasses import dataclass

from placement.baseline.fixpoint import Element
from placement.diagnostics import line_col
from placement.ir.core import Module, Operation
from placement.solution import Subject

DEFAULT_MAX_ITERATIONS = 128
CALIBRATION = 7  # estimate - iterations 3.13 counts, fitted on the chain families above


@dataclass(frozen=True)
class BoundEstimate:
    """Estimated solver rounds, and the element that still changes last (where it stops)."""

    rounds: int
    last: Subject | None

    def exceeds(self, max_iterations: int = DEFAULT_MAX_ITERATIONS) -> bool:
        """Whether 3.13 with this bound would stop before the fixpoint."""
        return self.rounds >= max_iterations + CALIBRATION


def estimate_rounds(elements: list[Element]) -> BoundEstimate:
    """The estimate over fixpoint `Element`s (creation order; reads, fixed, facts, invalid)."""
    index: dict[str, int] = {}
    cur: dict[int, int] = {}
    inv: dict[int, bool] = {}
    for e in elements:
        bits = 0
        for d in ([e.fixed] if e.fixed else []) + list(e.facts):
            bits |= 1 << index.setdefault(d, len(index))
        cur[id(e)] = bits
        inv[id(e)] = bool(e.incomplete and not e.fixed)
    movable = [e for e in elements if not e.fixed]

    def step(e: Element, bits_of: dict[int, int], inv_of: dict[int, bool]) -> bool:
        bits, bad = cur[id(e)], inv[id(e)]
        for src, guarded in e.reads:
            bits |= bits_of[id(src)]
            bad |= inv_of[id(src)] and not guarded
        changed = bits != cur[id(e)] or bad != inv[id(e)]
        cur[id(e)], inv[id(e)] = bits, bad
        return changed

    for e in movable:
        step(e, cur, inv)
    rounds, last = 1, None
    while True:
        bits_before, inv_before = dict(cur), dict(inv)
        changed = [e for e in movable if step(e, bits_before, inv_before)]
        if not changed:
            return BoundEstimate(rounds, last)
        rounds += 1
        last = changed[0].subject


def bound_warning(module: Module, estimate: BoundEstimate, max_iterations: int) -> str:
    """`file:line:col: warning: ...` with the source line and a caret, at the element's op."""
    subject = estimate.last
    op = subject if isinstance(subject, Operation) else getattr(subject, "owner", None)
    loc = getattr(subject, "loc", None) or getattr(op, "loc", None)
    message = (f"IREE 3.13 would stop here: its affinity solver needs about "
               f"{estimate.rounds - CALIBRATION} iterations, more than "
               f"--iree-stream-affinity-solver-max-iterations={max_iterations}, and "
               "iree-opt then fails without output; placement computed the fixpoint")
    if loc is None:
        return f"{module.filename}: warning: {message}"
    line, col, text = line_col(module.source, loc.offset)
    return f"{loc.file}:{loc.line}:{loc.col}: warning: {message}\n{text}\n{' ' * (col - 1)}^"
