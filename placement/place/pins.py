"""The `stream.affinity` pins that make the affinity analysis derive a chosen placement.

`choose_pins` starts from no pins and re-runs the fixpoint engine: each round pins the decisions
whose derived affinity differs from the choice and whose upstream producers (ops, not globals)
all already derive theirs, so a consumer is only pinned when pinning its producers did not
carry the choice to it (after a few such rounds, all remaining mismatches at once). A final
pass (modules with few pins) drops every pin that the others make redundant, so the set is
irredundant there: removing any one pin changes a derived affinity.
`render_pins` sets the pins on the IR with the Rewriter and prints it with `print_ir`.
"""

from __future__ import annotations

from dataclasses import dataclass

from placement.annotate import compute_annotations
from placement.baseline.fixpoint import run_fixpoint
from placement.ir.core import Module, Operation
from placement.ir.printer import Edit, print_ir, set_attributes
from placement.ir.rewrite import Rewriter
from placement.place.cost import Assignment
from placement.place.problem import Problem

PIN = "stream.affinity"
PRUNE_LIMIT = 24  # the irredundancy pass runs one fixpoint per pin: only up to this count


@dataclass
class PinResult:
    """The pins, in decision order, and the decisions the analysis still derives otherwise."""

    pins: list[tuple[Operation, str]]
    unrealized: list[int]
    rounds: int


def expected(problem: Problem, place: Assignment, i: int) -> list[str]:
    """The `stream.affinities` list the analysis must derive for decision `i`."""
    return sorted((problem.devices[k] for k in place[i]), key=lambda s: s.encode())


def derived_lists(module: Module) -> dict[int, list[str]]:
    """What the analysis prints in `stream.affinities` per op id, with the module as it is."""
    solution = run_fixpoint(module)
    return {id(a.op): a.execution for a in compute_annotations(module, solution)
            if a.execution}


def _mismatches(module: Module, problem: Problem, place: Assignment) -> list[int]:
    got = derived_lists(module)
    return [d.index for d in problem.decisions
            if got.get(id(d.subject)) != expected(problem, place, d.index)]


def choose_pins(module: Module, problem: Problem, place: Assignment,
                max_rounds: int = 64, careful_rounds: int = 3) -> PinResult:
    """Pins (op, affinity text) that make the analysis derive `place` (see module docstring).

    After `careful_rounds` rounds, every remaining mismatch is pinned at once (one fixpoint
    per round: this bounds the time on large modules, at the price of some redundant pins).
    The module's attributes are changed while this runs and restored before it returns.
    """
    upstream: dict[int, list[int]] = {}
    for flow in problem.flows:
        kind, src = flow.source
        if kind != "dec" or problem.decisions[src].is_global:
            continue
        for ckind, c in flow.consumers:
            if ckind == "dec":
                upstream.setdefault(c, []).append(src)
    saved: dict[int, tuple[Operation, str | None]] = {}
    pinned: dict[int, str] = {}

    def pin(i: int) -> None:
        d = problem.decisions[i]
        if len(place[i]) != 1:
            return  # replicas: no single affinity to pin
        op = d.subject
        saved.setdefault(i, (op, op.attributes.get(PIN)))
        text = problem.devices[place[i][0]]
        op.attributes[PIN] = text
        pinned[i] = text

    def unpin(i: int) -> None:
        op, old = saved[i]
        if old is None:
            op.attributes.pop(PIN, None)
        else:
            op.attributes[PIN] = old
        del pinned[i]

    rounds = 0
    try:
        bad = _mismatches(module, problem, place)
        while bad and rounds < max_rounds:
            rounds += 1
            wrong = set(bad)
            todo = [i for i in bad if i not in pinned
                    and not any(u in wrong for u in upstream.get(i, []))]
            if not todo or rounds > careful_rounds:
                todo = [i for i in bad if i not in pinned and len(place[i]) == 1]
            if not todo:
                break
            for i in todo:
                pin(i)
            bad = _mismatches(module, problem, place)
        if not bad and len(pinned) <= PRUNE_LIMIT:
            for i in sorted(pinned, reverse=True):
                text = pinned[i]
                unpin(i)
                if _mismatches(module, problem, place):
                    pin(i)
                    assert pinned[i] == text
        bad = _mismatches(module, problem, place)
        pins = [(problem.decisions[i].subject, pinned[i]) for i in sorted(pinned)]
    finally:
        for i in list(pinned):
            unpin(i)
    return PinResult(pins, bad, rounds)


def pin_edits(module: Module, pins: list[tuple[Operation, str]]) -> list[Edit]:
    """Printer edits that write each pin as the op's `stream.affinity` attribute."""
    edits: list[Edit] = []
    for op, text in pins:
        edits.extend(set_attributes(module, op, {PIN: text}))
    return edits


def render_pins(module: Module, pins: list[tuple[Operation, str]]) -> str:
    """The module text with the pins written in (set on the module's IR, then printed)."""
    rewriter = Rewriter(module)
    for op, text in pins:
        rewriter.set_attribute(op, PIN, text)
    return print_ir(module)
