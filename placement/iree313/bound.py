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

from placement.baseline.fixpoint import ElementGraph
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


def estimate_rounds(graph: ElementGraph) -> BoundEstimate:
    """The estimate over a fixpoint `ElementGraph` (creation order; reads, fixed, facts,
    incomplete)."""
    index: dict[str, int] = {}
    n = len(graph)
    fixed, reads = graph.fixed, graph.reads
    cur = [0] * n
    inv = [False] * n
    for e in range(n):
        bits = 0
        for d in ([fixed[e]] if fixed[e] else []) + graph.facts.get(e, []):
            bits |= 1 << index.setdefault(d, len(index))  # type: ignore[arg-type]
        cur[e] = bits
        inv[e] = bool(graph.incomplete[e] and not fixed[e])
    movable = [e for e in range(n) if not fixed[e]]

    def step(e: int, bits_of: list[int], inv_of: list[bool]) -> bool:
        bits, bad = cur[e], inv[e]
        for edge in reads[e]:
            src = edge >> 1
            bits |= bits_of[src]
            bad |= inv_of[src] and not edge & 1
        changed = bits != cur[e] or bad != inv[e]
        cur[e], inv[e] = bits, bad
        return changed

    for e in movable:
        step(e, cur, inv)
    rounds, last = 1, None
    while True:
        bits_before, inv_before = list(cur), list(inv)
        changed = [e for e in movable if step(e, bits_before, inv_before)]
        if not changed:
            return BoundEstimate(rounds, last)
        rounds += 1
        last = graph.subjects[changed[0]]


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
