"""The cost model and CP-SAT choice: spec 12.4 sizes, the 12.8 worked example, baseline mode,
budgets and pins, and a property test on generated stream-level modules."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from unify_support import golden_cases, run_cli

from placement.diagnostics import PlacementError
from placement.encoding.analysis import analyze
from placement.encoding.sizes import SizeError, byte_size, dense_bytes, fits
from placement.encoding.unify import rewritten, unify_module
from placement.ir.attributes import DialectAttr, Integer, ShapedType, parse_attribute
from placement.ir.parser import parse
from placement.model.encoding_cpsat import Weights, build_groups, solve


def _t(text: str) -> ShapedType:
    t = parse_attribute(text)
    assert isinstance(t, ShapedType)
    return t


@pytest.mark.parametrize(("text", "size"), [
    ("tensor<4096x4096xf32>", 67_108_864),
    ("tensor<4096x4096xi4>", 8_388_608),
    ("tensor<4096x4097xi4>", 8_390_656),
    ("tensor<4096x4096xf8E4M3FNUZ>", 16_777_216),
    ("tensor<4095x3xi1>", 12_285),
    ("tensor<5xi3>", 5),
    ("tensor<3xbf16>", 6),
    ("tensor<3xcomplex<f32>>", 24),
])
def test_dense_sizes_of_spec_12_4(text: str, size: int) -> None:
    assert dense_bytes(_t(text)) == size


def test_sub_byte_sizes_that_do_not_fill_bytes_fail() -> None:
    with pytest.raises(SizeError):
        dense_bytes(_t("tensor<3xi2>"))


def test_padding_and_dynamic_sizes() -> None:
    pad = parse_attribute("#iree_encoding.padding<[0, 64]>")
    assert byte_size(_t("tensor<4096x4096xf32>"), pad) == 68_157_440
    assert dense_bytes(_t("tensor<?x4096xf16>"), dynamic_dim=7) == 7 * 8192


def test_worked_example_12_8() -> None:
    """Golden case 4 with default weights: exactly the table of spec 12.8."""
    module = parse(golden_cases()[4])
    groups = build_groups(analyze(module), Weights())
    assert len(groups) == 1
    rows = {c.candidate.text: (c.storage, c.init, c.relayout, c.total) for c in groups[0].costs}
    assert rows == {
        "#iree_encoding.specialized<123>": (67_108_864, 268_435_456, 8_589_934_592,
                                            8_925_478_912),
        "#iree_encoding.identity": (67_108_864, 0, 8_589_934_592, 8_657_043_456),
        "#encoding1": (67_108_864, 268_435_456, 4_294_967_296, 4_630_511_616),
        "#encoding2": (67_108_864, 268_435_456, 4_294_967_296, 4_630_511_616),
    }
    solution = solve(analyze(parse(golden_cases()[4])))
    assert solution.status == "OPTIMAL"
    (group,) = solution.groups
    assert group.choice is not None and group.choice.candidate.text == "#encoding1"  # tie-break
    assert group.iree.candidate.text == "#iree_encoding.specialized<123>"


def test_zero_weights_give_the_seed_choice() -> None:
    """Spec 12.7: with all coefficients 0 every candidate costs 0 and rank 0 (IREE's) wins."""
    w = Weights(storage=0, encode=0, relayout=0)
    for index in (0, 1, 2, 3, 4, 5, 6, 12, 13):
        solution = solve(analyze(parse(golden_cases()[index])), w)
        for g in solution.groups:
            assert g.choice is not None and g.choice.candidate == g.iree.candidate


def test_budgets_and_pins() -> None:
    module_text = golden_cases()[4]
    with pytest.raises(PlacementError, match="budget"):
        solve(analyze(parse(module_text)), budgets={"device_a": 1000})
    ok = solve(analyze(parse(module_text)), budgets={"device_a": 67_108_864})
    assert ok.status == "OPTIMAL"
    pinned = solve(analyze(parse(module_text)),
                   pins={"model::weight": DialectAttr("iree_encoding.specialized",
                                                      (Integer(123),))})
    assert pinned.groups[0].choice is not None
    assert pinned.groups[0].choice.candidate.text == "#iree_encoding.specialized<123>"


def test_cli_budget_errors_exit_2(tmp_path: Path) -> None:
    case = tmp_path / "c4.mlir"
    case.write_text(golden_cases()[4])
    code, _, err = run_cli(str(case), "--budget", "device_a=10")
    assert code == 2 and "budget" in err
    code, _, err = run_cli(str(case), "--budget", "nonsense")
    assert code == 2 and "DEVICE=BYTES" in err
    code, _, err = run_cli(str(case), "--weights", "runtime=x")
    assert code == 2 and "weight" in err
    code, _, err = run_cli(str(case), "-o", str(case))
    assert code == 2 and "overwrite" in err


def test_cli_reports_bad_mlir_with_a_location(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mlir"
    bad.write_text("util.initializer {\n  %x = stream.tensor.sizeof tensor<4xf32> : index\n")
    code, out, err = run_cli(str(bad))
    assert code == 2
    assert "bad.mlir:" in err and "error:" in err and "Traceback" not in err + out


# ---------------------------------------------------------------- generated modules

_RESOLVERS = ["#iree_encoding.identity_resolver", "#iree_encoding.specialization_resolver<7>",
              "#iree_gpu.gpu_encoding_resolver<>", "#iree_cpu.cpu_encoding_resolver<>", None]
_MAPS = ("#mA = affine_map<(m, n, k) -> (m, k)>\n#mB = affine_map<(m, n, k) -> (k, n)>\n"
         "#mC = affine_map<(m, n, k) -> (m, n)>\n#mV = affine_map<(m, n) -> (n)>\n")


def _encoding(kind: int, rank: int, n: int, m: int, bias: bool) -> str:
    if kind == 0:
        return f"#iree_encoding.testing<layouts = [#iree_encoding.specialized<{n}>]>"
    if kind == 1 and rank == 2:
        return f"#iree_encoding.padding<[0, {n % 3 * 16}]>"
    if rank == 1:
        return ("#iree_encoding.encoding<operand_index = 2 : index, op_type = matmul, "
                "element_types = [f32, f32, f32], user_indexing_maps = [#mA, #mB, [#mC, #mV]], "
                f"iteration_sizes = [{m}, 64, 32]>")
    if bias:  # tensor<1x64>: the matmul's accumulator init of a decode (M = 1)
        return ("#iree_encoding.encoding<operand_index = 2 : index, op_type = matmul, "
                "element_types = [f32, f32, f32], user_indexing_maps = [#mA, #mB, #mC], "
                "iteration_sizes = [1, 64, 32]>")
    return ("#iree_encoding.encoding<operand_index = 1 : index, op_type = matmul, "
            "element_types = [f32, f32, f32], user_indexing_maps = [#mA, #mB, #mC], "
            f"iteration_sizes = [{m}, 64, 32]>")


@st.composite
def stream_modules(draw: st.DrawFn) -> str:
    """A stream-level module: devices with resolvers, parameters encoded several times in an
    initializer (shapes may differ: `tensor<64>` vs `tensor<1x64>`), dispatch consumers."""
    n_dev = draw(st.integers(1, 2))
    lines = [_MAPS]
    for d in range(n_dev):
        res = draw(st.sampled_from(_RESOLVERS))
        cfg = "{}" if res is None else "{iree.encoding.resolver = " + res + "}"
        lines.append(f'#exe{d} = #hal.executable.target<"llvm-cpu", "t{d}", {cfg}>')
    for d in range(n_dev):
        lines.append(f'util.global private @dev{d} = #hal.device.target<"local", [#exe{d}]> '
                     ": !hal.device")
    body: list[str] = []
    funcs: list[str] = []
    for s in range(draw(st.integers(1, 3))):
        bias = draw(st.booleans())
        base = "64xf32" if bias else "32x64xf32"
        body.append(f"  %cst{s} = stream.tensor.constant : tensor<{base}> in "
                    f'!stream.resource<constant> = #stream.parameter.named<"model"::"w{s}"> '
                    f": tensor<{base}>")
        body.append(f"  %csz{s} = stream.resource.size %cst{s} : !stream.resource<constant>")
        for v in range(draw(st.integers(2, 4))):
            rank = 1 if bias and draw(st.booleans()) else 2
            shape = ("64xf32" if rank == 1 else "1x64xf32") if bias else "32x64xf32"
            enc = _encoding(draw(st.integers(0, 2)), rank, draw(st.integers(1, 3)),
                            draw(st.sampled_from([1, 4, 128])), bias)
            dev = draw(st.integers(-1, n_dev - 1))
            aff = "" if dev < 0 else f"on(#hal.device.affinity<@dev{dev}>) "
            g = f"@e{s}_{v}"
            lines.append(f"util.global private {g} : !stream.resource<constant>")
            body += [
                f"  %c{s}_{v} = stream.async.clone {aff}%cst{s} : !stream.resource<constant>"
                f"{{%csz{s}}} -> !stream.resource<*>{{%csz{s}}}",
                f"  %sz{s}_{v} = stream.tensor.sizeof {aff}tensor<{shape}, {enc}> : index",
                f"  %e{s}_{v} = stream.tensor.encode {aff}%c{s}_{v} : tensor<{shape}> in "
                f"!stream.resource<*>{{%csz{s}}} -> tensor<{shape}, {enc}> in "
                f"!stream.resource<*>{{%sz{s}_{v}}}",
                f"  %k{s}_{v} = stream.async.clone {aff}%e{s}_{v} : !stream.resource<*>"
                f"{{%sz{s}_{v}}} -> !stream.resource<constant>{{%sz{s}_{v}}}",
                f"  util.global.store %k{s}_{v}, {g} : !stream.resource<constant>",
            ]
            for j in range(draw(st.integers(0, 2))):
                funcs.append(
                    f"util.func public @use{s}_{v}_{j}(%n: index, %gs: index) -> "
                    "!stream.resource<*> {\n"
                    f"  %g = util.global.load {g} : !stream.resource<constant>\n"
                    f"  %r = stream.tensor.dispatch {aff}@ex::@entry(%g) : (tensor<{shape}, "
                    f"{enc}> in !stream.resource<constant>{{%gs}}) -> tensor<4xf32> in "
                    "!stream.resource<*>{%n}\n"
                    "  util.return %r : !stream.resource<*>\n}")
    return "\n".join(lines + ["util.initializer {", *body, "  util.return", "}", *funcs]) + "\n"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stream_modules(), st.integers(0, 32), st.integers(0, 4))
def test_optimal_is_never_worse_than_iree_and_always_safe(text: str, runtime: int,
                                                          init: int) -> None:
    w = Weights(runtime=runtime, init=init)
    solution = solve(analyze(parse(text)), w)
    assert solution.status == "OPTIMAL"
    for g in solution.groups:
        assert g.choice is not None and g.choice.feasible
        feasible = [c.total for c in g.costs if c.feasible]
        if g.choice.kept_apart:  # only when no candidate is safe; the copies stay as they are
            assert feasible == [] and g.choice.reason.startswith("no unified encoding is safe")
            assert not any(v in solution.assignment() for v in g.versions)
            continue
        assert g.choice.total == min(feasible)  # CP-SAT agrees with enumeration
        if g.iree.feasible:
            assert g.choice.total <= g.iree.total
    if all(g.iree.feasible for g in solution.groups):
        assert solution.total <= solution.iree_total
    # The generated inputs are well formed, and the rewrite keeps them so.
    before = analyze(parse(text))
    assert all(fits(v.type, v.encoding)[0] for s in before.sources for v in s.versions)
    result = unify_module(parse(text), "optimal", w)
    again = analyze(parse(rewritten(result)))
    for s in again.sources:
        for v in s.versions:
            assert fits(v.type, v.encoding)[0], v.encoding_text


def test_deterministic_json(tmp_path: Path) -> None:
    path = tmp_path / "g.mlir"
    path.write_text(golden_cases()[4])
    outs = {run_cli(str(path), "--format", "json")[1] for _ in range(3)}
    assert len(outs) == 1
    data = json.loads(outs.pop())
    assert data["bytes_saved"] == 8_925_478_912 - 4_630_511_616


def test_enumeration_agrees_on_all_golden_cases() -> None:
    for text in golden_cases():
        solution = solve(analyze(parse(text)))
        for g in solution.groups:
            best = min((c.total, c.tie) for c in g.costs if c.feasible)
            assert g.choice is not None and (g.choice.total, g.choice.tie) == best
    assert list(itertools.islice(golden_cases(), 1))


def test_cli_reads_stdin_and_keeps_empty_chunks(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from placement.commands.unify import make_app

    text = golden_cases()[4]
    result = CliRunner().invoke(make_app(), ["unify", "-", "--policy", "iree"], input=text)
    assert result.exit_code == 0
    assert result.stdout.count("#iree_encoding.specialized<123>") >= 4
    split = tmp_path / "split.mlir"
    split.write_text("// comment only\n// -----\n" + text)
    code, out, err = run_cli(str(split), "--split-input-file", "--policy", "iree")
    assert code == 0, err
    assert out.startswith("// -----\n") and out.count("// -----") == 1
    out_file = tmp_path / "out.mlir"
    code, out, err = run_cli(str(split), "--split-input-file", "-o", str(out_file))
    assert code == 0 and out == "" and "// -----" in out_file.read_text()


def test_huge_costs_are_scaled_into_64_bits() -> None:
    solution = solve(analyze(parse(golden_cases()[4])), Weights(runtime=10 ** 15))
    assert solution.status == "OPTIMAL" and solution.unit_shift > 0
    (group,) = solution.groups
    assert group.choice is not None and group.choice.candidate.text == "#encoding1"
    assert group.choice.total == min(c.total for c in group.costs if c.feasible)
