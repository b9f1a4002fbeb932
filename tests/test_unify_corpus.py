"""The five real stream-level modules: `--policy iree` against IREE 3.13's `iree-opt`, and
`--policy optimal` never choosing an encoding of the wrong rank."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from unify_support import CORPUS, CORPUS_MODULES, iree_opt, run_cli

from placement.ir.attributes import (
    AffineMap,
    Array,
    AttributeParser,
    DialectAttr,
    Integer,
    ShapedType,
    Typed,
    Value,
)
from placement.ir.parser import parse

# What the corpus README states for each module: (sources unified, versions per source).
README_FACTS = {
    "mlp_prefill_decode_znver4": (4, 2),
    "mlp_prefill_decode_gfx942": (4, 2),
    "quant_i8_cascadelake": (4, 3),
    "replicated_2dev_gfx942_gfx1100": (2, 2),
    "shared_2dev_transfer_noop": (0, 0),
}


def _encoding_of(text: str, p: AttributeParser) -> tuple[Value | None, ShapedType]:
    t = p.parse(text)
    assert isinstance(t, ShapedType)
    return t.encoding, t


def observed(text: str) -> dict[str, list[object]]:
    """Final encodings of every encode (top-level initializers) and every dispatch operand
    outside executables, aliases expanded, in walk order."""
    module = parse(text)
    p = AttributeParser(module)
    encodes: list[object] = []
    dispatches: list[object] = []
    src = module.source
    for op in module.root.walk():
        if any(a.name == "stream.executable" for a in op.ancestors()):
            continue
        body = src[op.syntax.start:op.syntax.end]
        if op.name == "stream.tensor.encode" and \
                any(a.name == "util.initializer" for a in op.ancestors()):
            result = body[body.rindex("->") + 2:].split(" in ")[0].strip()
            encodes.append(_encoding_of(result.split("{")[0], p)[0])
        if op.name == "stream.tensor.dispatch":
            dispatches.append(tuple(_tensor_encodings(body, p)))
    return {"encodes": encodes, "dispatches": dispatches}


def _tensor_encodings(body: str, p: AttributeParser) -> list[Value | None]:
    out = []
    at = body.find("tensor<")
    while at >= 0:
        depth, end = 0, at + 6
        while end < len(body):
            if body[end] == "<":
                depth += 1
            elif body[end] == ">" and body[end - 1] != "-":
                depth -= 1
                if depth == 0:
                    break
            end += 1
        out.append(_encoding_of(body[at:end + 1], p)[0])
        at = body.find("tensor<", end)
    return out


def _operand_rank(enc: DialectAttr) -> int | None:
    """Rank an `#iree_encoding.encoding` describes: results of its operand's indexing map."""
    index = enc.param("operand_index")
    index = index.value if isinstance(index, Typed) else index
    maps = enc.param("user_indexing_maps")
    if not isinstance(index, Integer) or not isinstance(maps, Array):
        return None
    entry = maps.items[index.value]
    if isinstance(entry, Array):
        entry = entry.items[-1]
    return len(entry.results) if isinstance(entry, AffineMap) else None


def rank_mismatches(text: str) -> list[str]:
    """Encodes/sizeofs whose `#iree_encoding.encoding` describes another rank than the tensor."""
    module = parse(text)
    p = AttributeParser(module)
    bad = []
    for op in module.root.walk():
        if op.name not in ("stream.tensor.encode", "stream.tensor.sizeof"):
            continue
        body = module.source[op.syntax.start:op.syntax.end]
        for at in range(len(body)):
            if body.startswith("tensor<", at) and body[at - 1] in " (:>":
                end = body.index(">", at)
                while body.count("<", at, end + 1) != body.count(">", at, end + 1):
                    end = body.index(">", end + 1)
                enc, t = _encoding_of(body[at:end + 1], p)
                if isinstance(enc, DialectAttr) and enc.name == "iree_encoding.encoding":
                    rank = _operand_rank(enc)
                    if rank is not None and rank != t.rank:
                        bad.append(f"line {op.loc.line}: {body[at:end + 1]}")
    return bad


@pytest.mark.parametrize("name", CORPUS_MODULES)
def test_sources_and_versions_match_the_readme(name: str) -> None:
    code, out, err = run_cli(str(CORPUS / f"{name}.mlir"), "--policy", "iree",
                             "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    unified = [s for s in data["sources"] if s["unified"]]
    n_sources, n_versions = README_FACTS[name]
    assert len(unified) == n_sources
    assert all(len(s["versions"]) == n_versions for s in unified)
    # Real IR: every source is keyed by its named parameter.
    assert all(s["key"].startswith("model::") for s in data["sources"])


@pytest.mark.parametrize("name", CORPUS_MODULES)
def test_iree_policy_matches_iree_opt(name: str, tmp_path: Path) -> None:
    tool = iree_opt()
    if tool is None:
        pytest.skip("iree-opt not installed (set PLACEMENT_IREE_OPT)")
    path = CORPUS / f"{name}.mlir"
    oracle = subprocess.run([tool, "--iree-stream-unify-encoding-for-globals", str(path)],
                            text=True, capture_output=True)
    assert oracle.returncode == 0, oracle.stderr
    code, ours, err = run_cli(str(path), "--policy", "iree")
    assert code == 0, err
    assert observed(ours) == observed(oracle.stdout)
    (tmp_path / "ours.mlir").write_text(ours)
    reparsed = subprocess.run([tool, str(tmp_path / "ours.mlir")], text=True,
                              capture_output=True)
    assert reparsed.returncode == 0, reparsed.stderr


@pytest.mark.parametrize("name", CORPUS_MODULES)
def test_optimal_never_assigns_a_wrong_rank(name: str, tmp_path: Path) -> None:
    path = CORPUS / f"{name}.mlir"
    assert rank_mismatches(path.read_text()) == []
    code, out, err = run_cli(str(path), "--policy", "optimal")
    assert code == 0, err
    assert rank_mismatches(out) == []
    tool = iree_opt()
    if tool is not None:
        (tmp_path / "opt.mlir").write_text(out)
        reparsed = subprocess.run([tool, str(tmp_path / "opt.mlir")], text=True,
                                  capture_output=True)
        assert reparsed.returncode == 0, reparsed.stderr


def test_iree_rule_gives_a_wrong_rank_on_gfx942() -> None:
    """The hazard the README describes: IREE's GPU rule puts rank-1 bias encodings on the
    rank-2 decode biases; our IREE mode reproduces it and the report flags it."""
    path = CORPUS / "mlp_prefill_decode_gfx942.mlir"
    code, out, _ = run_cli(str(path), "--policy", "iree")
    assert code == 0
    assert len(rank_mismatches(out)) == 4  # encode + sizeof of both decode biases
    code, out, _ = run_cli(str(path), "--policy", "optimal", "--format", "json")
    data = json.loads(out)
    flagged = {s["key"] for s in data["sources"] if any(
        h.startswith("rank mismatch") for h in s["hazards_in_iree_choice"])}
    assert flagged == {"model::mlp.b1", "model::mlp.b2"}


def test_iree_opt_itself_gives_a_wrong_rank_on_gfx942() -> None:
    tool = iree_opt()
    if tool is None:
        pytest.skip("iree-opt not installed (set PLACEMENT_IREE_OPT)")
    path = CORPUS / "mlp_prefill_decode_gfx942.mlir"
    oracle = subprocess.run([tool, "--iree-stream-unify-encoding-for-globals", str(path)],
                            text=True, capture_output=True)
    assert len(rank_mismatches(oracle.stdout)) == 4
