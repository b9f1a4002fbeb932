"""The `scenarios/unify_*.mlir` examples: where `optimal` saves bytes over IREE's rule, where
IREE's rule is unsafe, and the shared-sizeof split."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from test_unify_corpus import rank_mismatches
from unify_support import ROOT, iree_opt, run_cli

from placement.ir.parser import parse

SCENARIOS = ROOT / "scenarios"


def _json(name: str, *args: str) -> dict[str, object]:
    code, out, err = run_cli(str(SCENARIOS / name), "--format", "json", *args)
    assert code == 0, err
    data = json.loads(out)
    assert isinstance(data, dict)
    return data


def _mlir(name: str, policy: str) -> str:
    code, out, err = run_cli(str(SCENARIOS / name), "--policy", policy)
    assert code == 0, err
    return out


@pytest.mark.parametrize("name", ["unify_cpu_prefill_decode.mlir", "unify_tied_update.mlir"])
def test_optimal_saves_bytes(name: str) -> None:
    data = _json(name)
    assert isinstance(data["bytes_saved"], int) and data["bytes_saved"] > 0
    assert data["cost"] < data["iree_cost"]  # type: ignore[operator]


def test_cpu_keeps_the_prefill_layout() -> None:
    out = _mlir("unify_cpu_prefill_decode.mlir", "optimal")
    # Both copies end as #prefill, so they are merged: one encode, both entry points load it.
    assert out.count("-> tensor<1024x2048xf32, #prefill> in") == 1
    assert out.count("util.global.load immutable @w_prefill :") == 2 and "@w_decode" not in out
    iree = _mlir("unify_cpu_prefill_decode.mlir", "iree")
    assert iree.count("-> tensor<1024x2048xf32, #iree_encoding.identity> in") == 2


def test_tied_update_needs_no_reencode_under_optimal() -> None:
    iree = _mlir("unify_tied_update.mlir", "iree")
    opt = _mlir("unify_tied_update.mlir", "optimal")
    step_iree = iree[iree.index("@step"):iree.index("@snapshot")]
    step_opt = opt[opt.index("@step"):opt.index("@snapshot")]
    assert "stream.tensor.encode" in step_iree  # IREE's re-encode after the tied dispatch
    assert "stream.tensor.encode" not in step_opt


def test_gpu_bias_rank_is_unsafe_under_iree_only() -> None:
    assert len(rank_mismatches(_mlir("unify_gpu_bias_rank.mlir", "iree"))) == 2
    assert rank_mismatches(_mlir("unify_gpu_bias_rank.mlir", "optimal")) == []
    data = _json("unify_gpu_bias_rank.mlir")
    (source,) = data["sources"]  # type: ignore[misc]
    assert any(h.startswith("rank mismatch") for h in source["hazards_in_iree_choice"])
    assert all(g["choice"] != g["iree_choice"] or g["iree_choice_safe"]
               for g in source["groups"])


def _encode_matches_its_sizeof(text: str) -> list[str]:
    """Encodes whose result type differs from the type of the sizeof that sizes them."""
    module = parse(text)
    sizeof_types: dict[str, str] = {}
    bad = []
    for op in module.root.walk():
        body = module.source[op.syntax.start:op.syntax.end]
        if op.name == "stream.tensor.sizeof":
            sizeof_types[op.results[0].name] = body[body.index("tensor<"):body.rindex(" :")]
        if op.name == "stream.tensor.encode":
            result = body[body.rindex("->") + 2:].strip()
            rtype, _, rest = result.partition(" in ")
            size = rest[rest.index("{") + 1:rest.index("}")]
            if sizeof_types.get(size) != rtype:
                bad.append(body)
    return bad


@pytest.mark.parametrize("policy", ["iree", "optimal"])
def test_shared_sizeof_is_split_not_overwritten(policy: str) -> None:
    source = (SCENARIOS / "unify_shared_sizeof.mlir").read_text()
    assert _encode_matches_its_sizeof(source) == []
    out = _mlir("unify_shared_sizeof.mlir", policy)
    assert _encode_matches_its_sizeof(out) == []
    data = _json("unify_shared_sizeof.mlir")
    hazards = [h for s in data["sources"] for h in s["hazards_in_iree_choice"]]  # type: ignore
    assert any("shared sizeof %sp" in h for h in hazards)


def test_iree_opt_overwrites_the_shared_sizeof(tmp_path: Path) -> None:
    tool = iree_opt()
    if tool is None:
        pytest.skip("iree-opt not installed (set PLACEMENT_IREE_OPT)")
    out = subprocess.run([tool, "--iree-stream-unify-encoding-for-globals",
                          str(SCENARIOS / "unify_shared_sizeof.mlir")], text=True,
                         capture_output=True, check=True).stdout
    assert len(_encode_matches_its_sizeof(out)) == 2


@pytest.mark.parametrize("name", sorted(p.name for p in SCENARIOS.glob("unify_*.mlir")))
@pytest.mark.parametrize("policy", ["iree", "optimal"])
def test_scenarios_reparse(name: str, policy: str, tmp_path: Path) -> None:
    tool = iree_opt()
    if tool is None:
        pytest.skip("iree-opt not installed (set PLACEMENT_IREE_OPT)")
    (tmp_path / "o.mlir").write_text(_mlir(name, policy))
    done = subprocess.run([tool, str(tmp_path / "o.mlir")], text=True, capture_output=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("name", ["unify_cpu_prefill_decode", "unify_tied_update",
                                  "unify_gpu_bias_rank"])
def test_docs_show_the_current_tables(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the tables name the file as given: scenarios/...
    code, out, err = run_cli(f"scenarios/{name}.mlir", "--format", "table")
    assert code == 0, err
    assert out.rstrip("\n") in (ROOT / "docs" / "unify.md").read_text()


def test_shapes_that_differ_are_reported() -> None:
    data = _json("unify_gpu_bias_rank.mlir")
    (source,) = data["sources"]  # type: ignore[misc]
    assert source["shapes_differ"] is True
    assert source["shapes"] == ["tensor<512xf32>", "tensor<1x512xf32>"]
