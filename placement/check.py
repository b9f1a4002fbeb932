"""Cross-checking: where two solutions (or our output and iree-opt's) disagree."""

from __future__ import annotations

from dataclasses import dataclass

from placement.annotate import ATTR_EXEC, ATTR_OPERANDS, ATTR_RESULTS, compute_annotations
from placement.ir.core import Module, Operation
from placement.solution import Solution


@dataclass(frozen=True)
class Disagreement:
    """One attribute of one op on which two sources differ."""

    op: Operation
    attribute: str
    left: str | None
    right: str | None

    def __str__(self) -> str:
        return (f"{self.op.loc}: {self.op.name}: {self.attribute}: "
                f"{self.left or '(none)'} vs {self.right or '(none)'}")


def annotation_table(module: Module, solution: Solution) -> dict[tuple[int, str], str]:
    """(op id, attribute) -> printed value, for every attribute the solution prints."""
    out: dict[tuple[int, str], str] = {}
    for ann in compute_annotations(module, solution):
        for name, value in ann.attributes().items():
            if value is not None:
                out[(id(ann.op), name)] = value
    return out


def disagreements(module: Module, left: Solution, right: Solution) -> list[Disagreement]:
    """Every printed attribute that differs between two solutions, in source order."""
    a = annotation_table(module, left)
    b = annotation_table(module, right)
    ops = {id(op): op for op in module.root.walk()}
    out = []
    for key in sorted(set(a) | set(b), key=lambda k: (ops[k[0]].loc.offset, k[1])):
        if a.get(key) != b.get(key):
            out.append(Disagreement(ops[key[0]], key[1], a.get(key), b.get(key)))
    return out


def compare_solutions(module: Module, left: Solution, right: Solution) -> list[str]:
    """Readable lines for every disagreement (empty when the solutions agree)."""
    return [f"{d} ({left.engine} vs {right.engine})" for d in disagreements(module, left, right)]


__all__ = ["ATTR_EXEC", "ATTR_OPERANDS", "ATTR_RESULTS", "Disagreement", "compare_solutions",
           "disagreements"]
