"""Inputs and meaning-level views of a module shared by the layout and mutation tests.

`INPUTS` are every golden case (both lit files, split on `// -----`) and every corpus module.
`annotations(text)` is what `placement solve` would attach, op by op, as parsed attribute
values (whitespace and comments squashed), so two layouts of one module compare equal exactly
when they mean the same to us; `structure(text)` is the parsed IR itself, op by op.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence

import pytest
from fuzz_known_failures import KNOWN_FAILURES

from conftest import CORPUS, GOLDEN, split_golden
from placement.annotate import compute_annotations, solve_module
from placement.ir import load
from placement.ir.core import Module

GOLDEN_FILES = ("annotate_affinities.mlir", "unify_encoding_for_globals.mlir")


def _inputs() -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for name in GOLDEN_FILES:
        for i, case in enumerate(split_golden(GOLDEN / name)):
            out.append((f"{name.removesuffix('.mlir')}_{i:02d}", case))
    for path in sorted(CORPUS.glob("*/*.mlir")):
        out.append((f"{path.parent.name}/{path.stem}", path.read_text()))
    return out


INPUTS = _inputs()
INPUT_IDS = [name for name, _ in INPUTS]

_SQUASH_RE = re.compile(r'("(?:[^"\\\n]|\\.)*")|//[^\n]*|\s+')


def squash(text: str | None) -> str | None:
    """Attribute or type text without whitespace and comments (strings kept as written)."""
    if text is None:
        return None
    return _SQUASH_RE.sub(lambda m: m.group(1) or "", text)


def seeds(name: str, count: int, offset: int = 0) -> list[int]:
    """`count` deterministic seeds for input `name` (the same on every run and machine)."""
    base = zlib.crc32(name.encode()) * 1000
    return [base + offset + k for k in range(count)]


Annotations = list[tuple[str, dict[str, str | None]]]


def annotations_of(module: Module) -> Annotations:
    """Per annotated op (in print order): its name and the three attributes, squashed."""
    anns = compute_annotations(module, solve_module(module, "fixpoint"))
    return [(a.op.name, {k: squash(v) for k, v in a.attributes().items()}) for a in anns]


def annotations(text: str, filename: str = "<input>") -> Annotations:
    """Parse, verify and solve `text`; its annotations (PlacementError on bad input)."""
    return annotations_of(load(text, filename))


def structure(text: str, filename: str = "<input>") -> list[tuple[object, ...]]:
    """The parsed IR, op by op: name, operand and result types, attributes, symbols, ties,
    regions with their blocks' argument types, successors."""
    module = load(text, filename)
    out: list[tuple[object, ...]] = []
    for op in module.root.walk():
        out.append((
            op.name,
            tuple(squash(v.type) for v in op.operands),
            tuple(squash(r.type) for r in op.results),
            tuple(sorted((k, squash(v)) for k, v in op.attributes.items())),
            tuple(sorted((k, squash(v)) for k, v in op.syntax_attrs.items())),
            tuple(op.symbols),
            tuple(sorted(op.tied.items())),
            tuple(tuple(tuple(squash(a.type) for a in b.arguments) for b in r.blocks)
                  for r in op.regions),
            len(op.successors),
        ))
    return out


def first_difference(want: list[object], got: list[object]) -> str:
    """A short description of where two op lists first differ."""
    for i, (a, b) in enumerate(zip(want, got, strict=False)):
        if a != b:
            return f"op {i}: expected {a!r}, got {b!r}"
    return f"expected {len(want)} ops, got {len(got)}"


def known_failures(test: str, cases: Sequence[tuple[str, tuple[object, ...]]]) -> list[object]:
    """pytest params for (id, args) cases; those in `KNOWN_FAILURES` (bugs still open on the
    parser, see /work/wt/BUGS-parser.md) are strict xfails naming the bug."""
    out: list[object] = []
    for case_id, args in cases:
        reason = KNOWN_FAILURES.get(f"{test}[{case_id}]")
        # A case whose outcome depends on time (a parse near the mutant time limit) cannot be
        # a strict xfail; its reason says so ("timing: ...").
        strict = not (reason or "").startswith("timing:")
        marks = [pytest.mark.xfail(strict=strict, reason=reason)] if reason else []
        out.append(pytest.param(*args, id=case_id, marks=marks))
    return out
