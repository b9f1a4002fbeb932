"""`--semantics iree-3.13` against the real IREE 3.13.0 `iree-opt` (the oracle extra).

Every comparison covers all five attribute families (`stream.affinities`, `.operands`,
`.results`, `.operands.usage`, `.results.usage`). Tests that run iree-opt are skipped, with
the reason, when it is not installed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import CORPUS, GOLDEN, run_cli, split_golden
from placement.annotate import ALL_ATTR_NAMES, annotate_text, solve_module
from placement.check import disagreements
from placement.ir.parser import parse
from placement.oracle import annotated_ops, run_iree_opt
from placement.testing import generate as gen

GOLDEN_CASES = [c for c in split_golden(GOLDEN / "annotate_affinities.mlir") if c.strip()]
CORPUS_FILES = sorted((CORPUS / "real").glob("*.mlir")) + sorted((CORPUS / "stream").glob("*.mlir"))
EXTENDED = gen.ALL_FEATURES | frozenset(gen.IREE313_FEATURES)
# Generated modules in CI (PLACEMENT_IREE313_MODULES=2000 for the full measurement).
N_GENERATED = int(os.environ.get("PLACEMENT_IREE313_MODULES", "200"))
# Generated modules on which IREE 3.13's result depends on its solver's update order in a way
# the profile does not reproduce (docs/iree313.md, "Not matched"). Odd seeds use EXTENDED.
ORDER_DEPENDENT = {
    83: "pins through a tied util.call result in an scf.while body (pinned-walk order)",
    234: "Q1: util.return joins call-site consumers into the element's own state",
    335: "Q1/Q2 schedule", 586: "Q1/Q2 schedule", 791: "Q1/Q2 schedule",
    815: "Q1/Q2 schedule", 829: "Q1/Q2 schedule", 896: "Q1/Q2 schedule",
    1376: "Q1/Q2 schedule", 1377: "Q1/Q2 schedule", 1423: "Q1/Q2 schedule",
}


def differences(text: str, name: str = "x.mlir") -> list[str]:
    """Our iree-3.13 annotation vs iree-opt's, attribute by attribute (all five families)."""
    module = parse(text, name)
    ours = parse(annotate_text(module, solve_module(module, "fixpoint", "iree-3.13")), name)
    theirs = parse(run_iree_opt(["--iree-stream-annotate-affinities"], text), name)
    a, b = annotated_ops(ours), annotated_ops(theirs)
    assert [op.name for op in a] == [op.name for op in b]
    out = []
    for x, y in zip(a, b, strict=True):
        for attr in ALL_ATTR_NAMES:
            mine, other = x.attributes.get(attr), y.attributes.get(attr)
            if (mine or "").replace(" ", "") != (other or "").replace(" ", ""):
                out.append(f"{x.loc}: {x.name} {attr}: ours {mine} iree-opt {other}")
    return out


@pytest.mark.parametrize("index", range(len(GOLDEN_CASES)))
def test_golden_case_matches_iree_opt(iree_opt: str, index: int) -> None:
    assert differences(GOLDEN_CASES[index]) == []


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_corpus_module_matches_iree_opt(iree_opt: str, path: Path) -> None:
    assert differences(path.read_text(), str(path)) == []


def test_usage_is_printed_and_sorted(iree_opt: str) -> None:
    """`.usage` = sorted union of producer, consumer and pinned affinities (10.1#1)."""
    text = GOLDEN_CASES[10]  # @tied_constant_multi_consumer
    module = parse(text, "x")
    out = annotate_text(module, solve_module(module, "fixpoint", "iree-3.13"))
    assert "stream.affinities.results.usage = [[#hal.device.promise<@dev_a>, " \
           "#hal.device.promise<@dev_b>]]" in out
    assert differences(text) == []


Q2_MODULE = """util.global private mutable @g : tensor<1xi32>
util.func public @f() -> tensor<4xi32> {
  %a = flow.tensor.constant {stream.affinity = #hal.device.promise<@dev_a>} dense<1> : tensor<1xi32>
  %c = flow.tensor.constant dense<2> : tensor<4xi32>
  %l = util.global.load @g : tensor<1xi32>
  %d = flow.dispatch @ex::@entry(%l, %a, %c) : (tensor<1xi32>, tensor<1xi32>, tensor<4xi32>) -> tensor<4xi32>
  %l2 = util.global.load @g : tensor<1xi32>
  %t = flow.tensor.transfer %l2 : tensor<1xi32> to #hal.device.promise<@dev_b>
  util.return %c : tensor<4xi32>
}
"""


def test_q2_global_keeps_a_consumer_that_turns_invalid() -> None:
    """The seed gives @g [b]; 3.13 keeps a, absorbed while the load's consumer was valid."""
    a, b = "#hal.device.promise<@dev_a>", "#hal.device.promise<@dev_b>"
    for semantics, expected in (("seed", f"[{b}]"), ("iree-3.13", f"[{a}, {b}]")):
        for engine in ("fixpoint", "z3"):
            module = parse(Q2_MODULE, "q2.mlir")
            out = annotate_text(module, solve_module(module, engine, semantics))
            assert f"@g {{stream.affinities = {expected}}}" in out, (semantics, engine)


def test_q2_module_matches_iree_opt(iree_opt: str) -> None:
    assert differences(Q2_MODULE) == []


@pytest.mark.parametrize("pinner", ["alias", "barrier"])
@pytest.mark.parametrize("pin", ["top", "bottom"])
@pytest.mark.parametrize("n", [23, 200])
def test_pinned_tie_chain(iree_opt: str, n: int, pin: str, pinner: str,
                          tmp_path: Path) -> None:
    """Pins cross every tie of long chains; where 3.13's solver gives up (a 200-deep chain
    pinned at the bottom) iree-opt fails and the profile warns at the op instead."""
    text = gen.generate_pinned_tie_chain(n, pin, pinner)
    src = tmp_path / "chain.mlir"
    src.write_text(text)
    result = run_cli("solve", "--semantics", "iree-3.13", str(src))
    assert result.code == 0
    if n == 200 and pin == "bottom":
        with pytest.raises(Exception, match="iree-opt failed"):
            run_iree_opt(["--iree-stream-annotate-affinities"], text)
        assert f"{src}:2:3: warning: IREE 3.13 would stop here" in result.stderr
        assert "--iree-stream-affinity-solver-max-iterations=128" in result.stderr
        wide = run_cli("solve", "--semantics", "iree-3.13", "--solver-max-iterations", "300",
                       str(src))
        assert wide.stderr == ""
        assert wide.stdout == result.stdout
    else:
        assert result.stderr == ""
        assert differences(text) == []


@pytest.mark.parametrize(("n", "fails"), [(65, False), (66, True)])
def test_solver_bound_warning_matches_iree_opt(iree_opt: str, n: int, fails: bool,
                                               tmp_path: Path) -> None:
    """An unpinned tie chain: iree-opt 3.13 gives up from 66 deep, and so does the estimate."""
    text = gen.generate_tie_chain(n)
    src = tmp_path / "chain.mlir"
    src.write_text(text)
    try:
        run_iree_opt(["--iree-stream-annotate-affinities"], text)
        iree_failed = False
    except Exception:
        iree_failed = True
    assert iree_failed == fails
    result = run_cli("solve", "--semantics", "iree-3.13", str(src))
    assert result.code == 0
    assert ("warning: IREE 3.13 would stop here" in result.stderr) == fails


@pytest.mark.parametrize("seed", range(N_GENERATED))
def test_generated_module_matches_iree_opt(iree_opt: str, seed: int) -> None:
    """Even seeds: today's features; odd seeds: also the IREE 3.13 features."""
    text = gen.generate_module(seed, features=EXTENDED if seed % 2 else None)
    found = differences(text, f"seed{seed}.mlir")
    if seed in ORDER_DEPENDENT:
        pytest.xfail(ORDER_DEPENDENT[seed])
    assert found == []


def test_generator_defaults_unchanged() -> None:
    """The 3.13 features are opt-in: default modules use none of their ops."""
    assert not set(gen.IREE313_FEATURES) & gen.ALL_FEATURES
    for seed in range(30):
        text = gen.generate_module(seed)
        for op in (" stream.", "flow.tensor.barrier", "!stream.resource"):
            assert op not in text, (seed, op)
        assert text == gen.generate_module(seed, features=gen.ALL_FEATURES)


def test_generator_iree313_features_emit_their_ops() -> None:
    text = "".join(gen.generate_module(s, features=EXTENDED) for s in range(1, 40, 2))
    for op in ("flow.tensor.barrier", "stream.tensor.import", "stream.tensor.export",
               "stream.async.transfer on(", "stream.async.execute", "stream.yield"):
        assert op in text, op


@pytest.mark.parametrize("seed", range(1, 60, 2))
def test_engines_agree_under_iree313(seed: int) -> None:
    text = gen.generate_module(seed, features=EXTENDED)
    module = parse(text, "x")
    fixpoint = solve_module(module, "fixpoint", "iree-3.13")
    z3 = solve_module(module, "z3", "iree-3.13")
    assert disagreements(module, fixpoint, z3) == []


@pytest.mark.parametrize("path", [GOLDEN / "annotate_affinities.mlir", *CORPUS_FILES],
                         ids=lambda p: p.name)
def test_engines_agree_on_goldens_and_corpus(path: Path) -> None:
    result = run_cli("check", "--split-input-file", "--semantics", "iree-3.13", str(path))
    assert result.code == 0, result.stdout


def test_check_oracle_iree313_compares_usage(iree_opt: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Under iree-3.13 every family counts: a changed `.usage` fails the command."""
    path = str(GOLDEN / "annotate_affinities.mlir")
    ok = run_cli("check", "--split-input-file", "--oracle", "--semantics", "iree-3.13",
                 "--format", "json", path)
    assert ok.code == 0, ok.stdout
    assert json.loads(ok.stdout)["oracle"]["count"] == 0
    import placement.oracle

    real = placement.oracle.run_iree_opt

    def tampered(args: list[str], source: str) -> str:
        return real(args, source).replace("stream.affinities.results.usage = [[#hal.device."
                                          "promise<@dev_a>]]", "stream.affinities.results."
                                          "usage = [[#hal.device.promise<@dev_c>]]", 1)

    monkeypatch.setattr(placement.oracle, "run_iree_opt", tampered)
    bad = run_cli("check", "--split-input-file", "--oracle", "--semantics", "iree-3.13",
                  "--format", "json", path)
    assert bad.code == 1
    diffs = json.loads(bad.stdout)["oracle"]["differences"]  # one per tampered case
    assert diffs and {d["attribute"] for d in diffs} == {"stream.affinities.results.usage"}


def test_check_oracle_seed_counts_usage_as_not_modelled(iree_opt: str) -> None:
    path = str(GOLDEN / "annotate_affinities.mlir")
    result = run_cli("check", "--split-input-file", "--oracle", "--format", "json", path)
    assert result.code == 0
    oracle = json.loads(result.stdout)["oracle"]
    assert oracle["count"] == 3  # the three 10.1#2 differences, as before
    assert oracle["not_modelled"]["stream.affinities.results.usage"] > 0
    assert oracle["not_modelled"]["stream.affinities.operands.usage"] > 0
    table = run_cli("check", "--split-input-file", "--oracle", path)
    assert "not modelled by the seed" in table.stdout


def test_semantics_option_rejects_unknown(tmp_path: Path) -> None:
    src = tmp_path / "x.mlir"
    src.write_text(GOLDEN_CASES[0])
    assert run_cli("solve", "--semantics", "iree-4", str(src)).code == 2
    assert run_cli("check", "--semantics", "iree-4", str(src)).code == 2


def test_explain_iree313_names_the_lazy_producer_read(tmp_path: Path) -> None:
    """explain --semantics iree-3.13 walks the 3.13 model (hand-derived chain)."""
    src = tmp_path / "x.mlir"
    src.write_text(
        "util.func private @f() -> tensor<4xi32> {\n"
        "  %c = flow.tensor.constant {stream.affinity = #hal.device.promise<@dev_a>} "
        "dense<1> : tensor<4xi32>\n"
        "  %t = flow.dispatch @d(%c) : (tensor<4xi32>) -> %c\n"
        "  util.return %t : tensor<4xi32>\n}\n")
    result = run_cli("explain", "--semantics", "iree-3.13", str(src), "--value", "%t")
    assert result.code == 0, result.stderr
    assert "P(%t) reads P(%c)  [4.1.4c tied producer]" in result.stdout
    assert "10.1#6: created without update" in result.stdout
    assert run_cli("explain", "--semantics", "bad", str(src), "--value", "%t").code == 2
