"""The load phase's fast paths agree with the plain code they stand for.

* `tokenize` (one `findall` and whole-list operations) against `_tokenize_slow` (the
  match-by-match reader it replaced): same kinds, texts, offsets, comments and errors, on
  random character soup and on the corpus, with and without `split_angles`;
* `new_operation` / `new_syntax` (constructors generated from the fields) against the
  dataclass constructors;
* a typed attribute `v : T` of two one-token values, normalized piece by piece by the
  parser, against `normalize` of the whole text;
* `load` pauses the cyclic GC and restores its state.
"""

from __future__ import annotations

import dataclasses
import gc
import random
from pathlib import Path

import pytest

from placement.diagnostics import PlacementError
from placement.ir import load
from placement.ir.core import Location, Operation, SyntaxInfo, new_operation, new_syntax
from placement.ir.lexer import _tokenize_slow, normalize, tokenize
from placement.ir.parser import parse

ROOT = Path(__file__).resolve().parent.parent
CORPUS = sorted((ROOT.parent / "shared" / "corpus").glob("**/*.mlir")) + sorted(
    (ROOT / "scenarios").glob("*.mlir"))

_ALPHABET = list('%@^#!"/\\ \t\n\r\f\v.-<>()[]{},=:*?+|&~;$`\'xyzaA_019\u0663\u00e9') + [
    "//", "// c  \n", "->", "tensor<4xi32>", "#a<b>", "!x.y<1>", "0x1F", "1.5e+3", '"a\\"b"',
    "...", '@"q"', "  ", "\u2028", "\xa0", "#a<x->"]


def _read(text: str, split: bool, fast: bool) -> object:
    try:
        toks = tokenize(text, "f", split) if fast else _tokenize_slow(text, "f", split)
    except PlacementError as e:
        return ("error", e.render())
    return (toks.kinds, toks.texts, toks.starts, toks.comments)


@pytest.mark.parametrize("split", [False, True])
def test_tokenize_agrees_on_random_text(split: bool) -> None:
    rng = random.Random(12)
    for _ in range(4000):
        text = "".join(rng.choice(_ALPHABET) for _ in range(rng.randrange(0, 30)))
        assert _read(text, split, True) == _read(text, split, False), repr(text)


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_tokenize_agrees_on_corpus(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for split in (False, True):
        assert _read(text, split, True) == _read(text, split, False)


def test_generated_constructors_match_the_dataclasses() -> None:
    loc = Location("f", 1, 2, 3)
    syntax = new_syntax(7)
    assert dataclasses.astuple(syntax) == dataclasses.astuple(SyntaxInfo(start=7))
    op = new_operation("a.b", loc, syntax)
    ref = Operation("a.b", loc, syntax=syntax)
    for f in dataclasses.fields(Operation):
        assert getattr(op, f.name) == getattr(ref, f.name), f.name
    # fresh containers per op, as the field factories give
    assert new_operation("a.b", loc, syntax).operands is not op.operands
    assert new_syntax(7).strings is not syntax.strings


def test_typed_attribute_text_is_normalize_of_the_whole() -> None:
    values = ["dense<5>", "3", "1.5e+00", "true", '"s : t"', "#a<b, c = d>", "#x<a:b>",
              "@sym", "unit", "-"]
    types = ["i32", "tensor<4x?xf32, #enc>", "!a<b:c>", "index", "!hal.buffer"]
    for v in values[:-1]:
        for t in types:
            for sep in (" : ", ":", "  :\n  ", " // c\n : "):
                module = parse(f"#enc = unit\n%c = arith.constant {v}{sep}{t}\n")
                op = module.body.ops[0]
                assert op.syntax_attrs["value"] == normalize(f"{v}{sep}{t}"), (v, t)
                assert op.results[0].type == normalize(t)


@pytest.mark.parametrize("enabled", [True, False])
def test_load_restores_the_gc_state(enabled: bool) -> None:
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        load("util.global private @g : i32\n")
        assert gc.isenabled() is enabled
        with pytest.raises(PlacementError):
            load("util.global private @g : \n")
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
