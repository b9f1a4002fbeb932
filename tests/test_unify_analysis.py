"""Versions, keys and resolver sets on small modules: the rows of spec 6.2 and 9, each checked
against the spec's stated result and, where installed, against iree-opt 3.13."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_unify_corpus import observed
from unify_support import ROOT, iree_opt, run_cli

from placement.encoding.analysis import analyze
from placement.encoding.policy import iree_choice
from placement.ir.parser import parse

HEADER = """
#t7 = #hal.executable.target<"vmvx", "vmvx-bytecode-fb", {iree.encoding.resolver = #iree_encoding.specialization_resolver<7>}>
#t7b = #hal.executable.target<"llvm-cpu", "embedded-elf-x86_64", {iree.encoding.resolver = #iree_encoding.specialization_resolver<7>}>
#t8 = #hal.executable.target<"vmvx", "vmvx-bytecode-fb", {iree.encoding.resolver = #iree_encoding.specialization_resolver<8>}>
#tnone = #hal.executable.target<"vmvx", "vmvx-bytecode-fb", {}>
#e1 = #iree_encoding.testing<layouts = [#iree_encoding.specialized<1>]>
#e2 = #iree_encoding.testing<layouts = [#iree_encoding.specialized<2>]>
"""

A = "on(#hal.device.affinity<@a>) "
B = "on(#hal.device.affinity<@b>) "
SPEC7 = "#iree_encoding.specialized<7>"
IDENTITY = "#iree_encoding.identity"


def device(name: str, targets: str) -> str:
    return f'util.global private @{name} = #hal.device.target<"local", [{targets}]> : !hal.device'


def module(devices: list[str], versions: list[tuple[str, str]], extra: str = "") -> str:
    """A source parameter global @w, one encoded global per version (affinity, encoding)."""
    lines = [HEADER, *devices,
             'util.global private @w = #stream.parameter.named<"m"::"w"> : '
             "!stream.resource<constant>"]
    body = ["  %src = util.global.load @w : !stream.resource<constant>",
            "  %n = stream.resource.size %src : !stream.resource<constant>"]
    for i, (aff, enc) in enumerate(versions):
        lines.append(f"util.global private @g{i} : !stream.resource<*>")
        body += [
            f"  %s{i} = stream.tensor.sizeof {aff}tensor<16xf32, {enc}> : index",
            f"  %e{i} = stream.tensor.encode {aff}%src : tensor<16xf32> in "
            f"!stream.resource<constant>{{%n}} -> tensor<16xf32, {enc}> in "
            f"!stream.resource<*>{{%s{i}}}",
            f"  util.global.store %e{i}, @g{i} : !stream.resource<*>",
        ]
    return "\n".join([*lines, "util.initializer {", *body, "  util.return", "}", extra]) + "\n"


# Spec 6.2: setup -> unified encoding.
RESOLVER_ROWS = {
    "one_device_one_resolver": (module([device("a", "#t7")], [(A, "#e1"), (A, "#e2")]), SPEC7),
    "one_device_two_resolvers": (module([device("a", "#t7, #t8")], [(A, "#e1"), (A, "#e2")]),
                                 IDENTITY),
    "same_resolver_two_targets": (module([device("a", "#t7, #t7b")], [(A, "#e1"), (A, "#e2")]),
                                  SPEC7),
    "two_devices_same_resolver": (module([device("a", "#t7"), device("b", "#t7b")],
                                         [(A, "#e1"), (B, "#e2")]), SPEC7),
    "two_devices_two_resolvers": (module([device("a", "#t7"), device("b", "#t8")],
                                         [(A, "#e1"), (B, "#e2")]), IDENTITY),
    "resolver_and_plain_target": (module([device("a", "#t7, #tnone")], [(A, "#e1"), (A, "#e2")]),
                                  IDENTITY),
    "one_version_without_affinity": (module([device("a", "#t7")], [(A, "#e1"), ("", "#e2")]),
                                     SPEC7),
    "no_affinity_at_all": (module([device("a", "#t7")], [("", "#e1"), ("", "#e2")]), IDENTITY),
    "device_without_targets": (module(['util.global private @a = #hal.device.target<"local"> '
                                       ": !hal.device"], [(A, "#e1"), (A, "#e2")]), IDENTITY),
    "device_select": (module([
        'util.global private @a = #hal.device.select<[#hal.device.target<"local", [#t7]> : '
        '!hal.device, #hal.device.target<"local", [#t8]> : !hal.device]> : !hal.device'],
        [(A, "#e1"), (A, "#e2")]), IDENTITY),
    # Spec 6.2 expands optimal<[a, b]> to both devices (identity); IREE 3.13 answers the empty
    # set for it, so @a's resolver alone decides.
    "device_optimal": (module([device("a", "#t7"), device("b", "#t8")], [
        ("on(#hal.device.optimal<[#hal.device.affinity<@a>, #hal.device.affinity<@b>]>) ",
         "#e1"), (A, "#e2")]), SPEC7),
    "device_select_and_device": (module([
        'util.global private @a = #hal.device.select<[#hal.device.target<"local", [#t7]> : '
        '!hal.device, #hal.device.target<"local", [#t8]> : !hal.device]> : !hal.device',
        device("b", "#t7")], [(A, "#e1"), (B, "#e2")]), IDENTITY),
    "target_without_resolver": (module([device("a", "#tnone")], [(A, "#e1"), (A, "#e2")]),
                                IDENTITY),
}


def _final_encodings(text: str) -> list[str]:
    code, out, err = run_cli_text(text, "--policy", "iree")
    assert code == 0, err
    m = parse(out)
    finals = []
    for op in m.root.walk():
        if op.name == "stream.tensor.encode":
            body = out[op.syntax.start:op.syntax.end]
            finals.append(body[body.rindex("tensor<16xf32, ") + 15:body.rindex("> in")])
    return finals


def run_cli_text(text: str, *args: str) -> tuple[int, str, str]:
    path = Path(os.environ.get("PYTEST_TMP", "/tmp")) / f"unify_{os.getpid()}.mlir"
    path.write_text(text)
    try:
        return run_cli(str(path), *args)
    finally:
        path.unlink()


@pytest.mark.parametrize("row", sorted(RESOLVER_ROWS))
def test_resolver_rows_of_spec_6_2(row: str) -> None:
    text, expected = RESOLVER_ROWS[row]
    (source,) = analyze(parse(text)).candidates
    assert str(iree_choice(source).value) == expected
    assert _final_encodings(text) == [expected, expected]


@pytest.mark.parametrize("row", sorted(RESOLVER_ROWS))
def test_resolver_rows_agree_with_iree_opt(row: str, tmp_path: Path) -> None:
    tool = iree_opt()
    if tool is None:
        pytest.skip("iree-opt not installed (set PLACEMENT_IREE_OPT)")
    text, _ = RESOLVER_ROWS[row]
    (tmp_path / "m.mlir").write_text(text)
    oracle = subprocess.run([tool, "--iree-stream-unify-encoding-for-globals",
                             str(tmp_path / "m.mlir")], text=True, capture_output=True)
    assert oracle.returncode == 0, oracle.stderr
    code, ours, err = run_cli(str(tmp_path / "m.mlir"), "--policy", "iree")
    assert code == 0, err
    assert observed(ours) == observed(oracle.stdout)


def _skips(text: str) -> list[str]:
    return [s.reason for s in analyze(parse(text)).skipped]


def test_edge_cases_of_spec_9() -> None:
    base = module([device("a", "#t7")], [(A, "#e1"), (A, "#e2")])
    # Stored to two globals: skipped.
    two = base.replace("  util.global.store %e0, @g0 : !stream.resource<*>",
                       "  util.global.store %e0, @g0 : !stream.resource<*>\n"
                       "  util.global.store %e0, @g1 : !stream.resource<*>")
    assert any("exactly one global" in r for r in _skips(two))
    # Size from arith.constant: skipped.
    const = base.replace("-> tensor<16xf32, #e1> in !stream.resource<*>{%s0}",
                         "-> tensor<16xf32, #e1> in !stream.resource<*>{%c64}").replace(
        "  %s0 = ", "  %c64 = arith.constant 64 : index\n  %s0 = ")
    assert any("sizeof" in r for r in _skips(const))
    # clone -> clone -> store: accepted.
    chain = base.replace("  util.global.store %e0, @g0 : !stream.resource<*>",
                         "  %x = stream.async.clone %e0 : !stream.resource<*>{%s0} -> "
                         "!stream.resource<*>{%s0}\n  %y = stream.async.clone %x : "
                         "!stream.resource<*>{%s0} -> !stream.resource<*>{%s0}\n"
                         "  util.global.store %y, @g0 : !stream.resource<*>")
    assert _skips(chain) == [] and len(analyze(parse(chain)).candidates) == 1
    # A non-serializable encoding: that version is skipped, the other is alone.
    foo = base.replace("tensor<16xf32, #e2>", 'tensor<16xf32, "foo">')
    a = analyze(parse(foo))
    assert len(a.skipped) == 1 and a.candidates == []
    # No !hal.device global: nothing is unified.
    nodev = base.replace(device("a", "#t7"), "").replace(A, "")
    assert analyze(parse(nodev)).candidates == []
    assert _final_encodings(nodev) == ["#e1", "#e2"]


def test_global_chain_keys_by_the_farthest_global() -> None:
    text = module([device("a", "#t7")], [(A, "#e1"), (A, "#e2")]).replace(
        "  %src = util.global.load @w : !stream.resource<constant>",
        "  %w0 = util.global.load @w : !stream.resource<constant>\n"
        "  util.global.store %w0, @w1 : !stream.resource<constant>\n"
        "  %src = util.global.load @w1 : !stream.resource<constant>").replace(
        "util.initializer {", "util.global private @w1 : !stream.resource<constant>\n"
        "util.initializer {")
    (source,) = analyze(parse(text)).candidates
    assert source.key == "@w"


def test_two_stores_to_the_source_fail_tracing() -> None:
    text = module([device("a", "#t7")], [(A, "#e1"), (A, "#e2")]).replace(
        "  %src = util.global.load @w : !stream.resource<constant>",
        "  %w0 = util.global.load @w : !stream.resource<constant>\n"
        "  util.global.store %w0, @w1 : !stream.resource<constant>\n"
        "  util.global.store %w0, @w1 : !stream.resource<constant>\n"
        "  %src = util.global.load @w1 : !stream.resource<constant>").replace(
        "util.initializer {", "util.global private @w1 : !stream.resource<constant>\n"
        "util.initializer {")
    assert all("trace" in r for r in _skips(text)) and len(_skips(text)) == 2


def test_output_does_not_depend_on_the_hash_seed() -> None:
    path = ROOT / "scenarios" / "unify_shared_sizeof.mlir"
    outs = set()
    for seed in ("0", "1", "12345"):
        code = ("import sys; from placement.commands.unify import run_unify; "
                "from placement.model.encoding_cpsat import Weights; "
                f"sys.stdout.write(run_unify(open({str(path)!r}).read(), 'f', 'optimal', False,"
                " 'json', {}, Weights()))")
        done = subprocess.run([sys.executable, "-c", code], text=True, capture_output=True,
                              cwd=ROOT, env={**os.environ, "PYTHONHASHSEED": seed,
                                             "PYTHONPATH": str(ROOT)}, check=True)
        outs.add(done.stdout)
    assert len(outs) == 1


def test_budget_forces_a_smaller_encoding() -> None:
    """Padded layouts cost more bytes; a device budget below them forces a dense choice."""
    from placement.model.encoding_cpsat import solve

    text = module([device("a", "#t7")], [(A, "#iree_encoding.padding<[64]>"),
                                         (A, "#iree_encoding.padding<[32]>")])
    extra = "\n".join([
        "util.func public @use(%n: index, %s: index) -> !stream.resource<*> {",
        "  %g = util.global.load @g0 : !stream.resource<*>",
        "  %r = stream.tensor.dispatch on(#hal.device.affinity<@a>) @ex::@f(%g) : (tensor<16xf32,"
        " #iree_encoding.padding<[64]>> in !stream.resource<*>{%s}) -> tensor<4xf32> in "
        "!stream.resource<*>{%n}",
        "  util.return %r : !stream.resource<*>",
        "}"])
    text += extra + "\n"
    free = solve(analyze(parse(text)))
    assert free.groups[0].choice is not None
    assert free.groups[0].choice.candidate.text == "#iree_encoding.padding<[64]>"
    assert free.groups[0].choice.storage == (16 + 64) * 4
    tight = solve(analyze(parse(text)), budgets={"a": 16 * 4})
    assert tight.groups[0].choice is not None
    assert tight.groups[0].choice.storage <= 16 * 4
    assert tight.groups[0].choice.candidate.text == "#iree_encoding.identity"
    code, out, err = run_cli_text(text, "--budget", "@a=64", "--format", "json")
    assert code == 0, err
    assert '"choice": "#iree_encoding.identity"' in out


def test_unreadable_device_target_falls_back_to_identity() -> None:
    """A target whose configuration the grammar cannot read counts as a non-resolver element."""
    text = module(['util.global private @a = #hal.device.target<"local", [#hal.executable.target'
                   '<"x", "y", {cfg = #foo.bar<pipeline = A workgroup_size = [1]>}>]> : '
                   "!hal.device"], [(A, "#e1"), (A, "#e2")])
    (source,) = analyze(parse(text)).candidates
    assert [r.label for r in source.resolvers] == ["unreadable device target of @a"]
    assert str(iree_choice(source).value) == IDENTITY


MULTI_RESULT = """#t7 = #hal.executable.target<"vmvx", "vmvx-bytecode-fb", {iree.encoding.resolver = #iree_encoding.specialization_resolver<7>}>
#e1 = #iree_encoding.testing<layouts = [#iree_encoding.specialized<1>]>
#e2 = #iree_encoding.testing<layouts = [#iree_encoding.specialized<2>]>
util.global private @a = #hal.device.target<"local", [#t7]> : !hal.device
util.global private @w = #stream.parameter.named<"m"::"w"> : !stream.resource<constant>
util.global private @g0 : !stream.resource<constant>
util.global private @g1 : !stream.resource<constant>
util.initializer {
  %src = util.global.load @w : !stream.resource<constant>
  %n = stream.resource.size %src : !stream.resource<constant>
  %s0 = stream.tensor.sizeof on(#hal.device.affinity<@a>) tensor<16xf32, #e1> : index
  %e0 = stream.tensor.encode on(#hal.device.affinity<@a>) %src : tensor<16xf32> in !stream.resource<constant>{%n} -> tensor<16xf32, #e1> in !stream.resource<constant>{%s0}
  util.global.store %e0, @g0 : !stream.resource<constant>
  %s1 = stream.tensor.sizeof on(#hal.device.affinity<@a>) tensor<16xf32, #e2> : index
  %e1 = stream.tensor.encode on(#hal.device.affinity<@a>) %src : tensor<16xf32> in !stream.resource<constant>{%n} -> tensor<16xf32, #e2> in !stream.resource<constant>{%s1}
  util.global.store %e1, @g1 : !stream.resource<constant>
  util.return
}
stream.executable private @ex {
  stream.executable.export public @f
  builtin.module {
    func.func @f(%arg0: !stream.binding, %arg1: !stream.binding, %arg2: !stream.binding) {
      return
    }
  }
}
util.func public @run(%n: index, %sz: index) -> (!stream.resource<*>, !stream.resource<*>) {
  %c = util.global.load @g0 : !stream.resource<constant>
  %x = stream.async.clone %c : !stream.resource<constant>{%sz} -> !stream.resource<*>{%sz}
  %cond = arith.constant true
  %y = scf.if %cond -> !stream.resource<*> {
    scf.yield %x : !stream.resource<*>
  } else {
    scf.yield %x : !stream.resource<*>
  }
  %r:2 = stream.tensor.dispatch @ex::@f(%n, %y) : (index, tensor<?xf32, #e1>{%n} in !stream.resource<*>{%sz}) -> (tensor<4xf32> in !stream.resource<*>{%n}, tensor<?xf32, #e1>{%n} in %y{%sz})
  %z = stream.async.clone %r#1 : !stream.resource<*>{%sz} -> !stream.resource<*>{%sz}
  util.return %r#0, %r#1 : !stream.resource<*>, !stream.resource<*>
}
"""


def test_tied_second_result_through_scf_if(tmp_path: Path) -> None:
    """A dispatch reached through scf.if whose second result is tied: re-encoded (no affinity),
    every later use renamed; same final encodings as iree-opt where installed."""
    code, out, err = run_cli_text(MULTI_RESULT, "--policy", "iree")
    assert code == 0, err
    assert "%r_1_reencoded = stream.tensor.encode %r#1 : tensor<?xf32, " \
           "#iree_encoding.specialized<7>>{%n} in !stream.resource<*>{%sz} -> " \
           "tensor<?xf32, #e1>{%n} in !stream.resource<*>{%r_1_size}" in out
    assert "util.return %r#0, %r_1_reencoded" in out
    assert "%z = stream.async.clone %r_1_reencoded" in out
    tool = iree_opt()
    if tool is not None:
        (tmp_path / "m.mlir").write_text(MULTI_RESULT)
        oracle = subprocess.run([tool, "--iree-stream-unify-encoding-for-globals",
                                 str(tmp_path / "m.mlir")], text=True, capture_output=True,
                                check=True)
        assert observed(out) == observed(oracle.stdout)
