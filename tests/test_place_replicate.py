"""`placement.transform.replicate`: one copy of a global per device, as IREE's
replicate-globals-per-affinity pass makes, built on the IR.

The transformed module must be accepted by the real iree-opt, and `placement solve` on it must
give the per-device sets derived by hand below (and agree with iree-opt's own annotation).
"""

from __future__ import annotations

import re

import pytest

from placement.annotate import annotate_text, compute_annotations, solve_module
from placement.diagnostics import PlacementError
from placement.ir.core import Module
from placement.ir.parser import parse
from placement.ir.printer import print_ir
from placement.oracle import compare_outputs, run_iree_opt
from placement.transform.replicate import replicate_global

A, B = "#hal.device.affinity<@device_a>", "#hal.device.affinity<@device_b>"

# @w is used by a dispatch on device_a (its other operand is transferred there), by one on
# device_b, and, through a call, by a dispatch in @on_b whose other operand is on device_b.
SOURCE = f"""\
util.global private @device_a : !hal.device
util.global private @device_b : !hal.device
util.global private @w : tensor<10xf32>
util.initializer {{
  %c = arith.constant dense<1.0> : tensor<10xf32>
  util.global.store %c, @w : tensor<10xf32>
  util.return
}}
util.global private mutable @m : tensor<10xf32>
util.func private @on_b(%x: tensor<10xf32>, %y: tensor<10xf32>) -> tensor<10xf32> {{
  %yb = flow.tensor.transfer %y : tensor<10xf32> to {B}
  %r = flow.dispatch @ex::@g(%x, %yb) : (tensor<10xf32>, tensor<10xf32>) -> tensor<10xf32>
  util.return %r : tensor<10xf32>
}}
util.func public @main(%arg0: tensor<10xf32>) -> (tensor<10xf32>, tensor<10xf32>, tensor<10xf32>) {{
  %a = flow.tensor.transfer %arg0 : tensor<10xf32> to {A}
  %w = util.global.load immutable @w : tensor<10xf32>
  %1 = flow.dispatch @ex::@f(%a, %w) : (tensor<10xf32>, tensor<10xf32>) -> tensor<10xf32>
  %b = flow.tensor.transfer %arg0 : tensor<10xf32> to {B}
  %2 = flow.dispatch @ex::@f(%b, %w) : (tensor<10xf32>, tensor<10xf32>) -> tensor<10xf32>
  %3 = util.call @on_b(%w, %arg0) : (tensor<10xf32>, tensor<10xf32>) -> tensor<10xf32>
  util.return %1, %2, %3 : tensor<10xf32>, tensor<10xf32>, tensor<10xf32>
}}
"""


def _sets(module: Module) -> dict[str, list[str]]:
    """`stream.affinities` per global symbol / first result name, as `placement solve` derives."""
    out: dict[str, list[str]] = {}
    for a in compute_annotations(module, solve_module(module, "fixpoint")):
        if not a.execution:
            continue
        name = a.op.attr("sym_name")
        key = "@" + name.strip('"') if name else a.op.results[0].name
        out[key] = a.execution
    return out


def _transformed(keep: str | None) -> tuple[str, Module]:
    module = parse(SOURCE, "w.mlir")
    replication = replicate_global(module, "@w", [A, B], keep=keep)
    assert replication.unresolved == []
    assert replication.redirected == (3 if keep is None else 2)  # keep: %1 reads @w itself
    text = print_ir(module)
    return text, parse(text, "out.mlir")


@pytest.mark.usefixtures("iree_opt")
def test_iree_mode_copies_per_device_and_redirects_each_use() -> None:
    text, out = _transformed(keep=None)
    run_iree_opt([], text)  # iree-opt parses and verifies the transformed module
    sets = _sets(out)
    # By hand: each copy is stored from a transfer to its device (and pinned there); each
    # dispatch reads the copy of the device its other operand is on, so it runs there.
    assert sets["@w_device_a"] == [A] and sets["@w_device_b"] == [B]
    assert sets["%1"] == [A] and sets["%2"] == [B] and sets["%r"] == [B]
    # The original stays, unpinned, read only by the copies' initializers (as IREE leaves it).
    assert re.search(r"util\.global private @w :", text)
    assert len(re.findall(r"util\.global\.load @w :", text)) == 2
    assert "util.global.load immutable @w :" not in text  # the function's load was erased
    # And the whole module annotates as iree-opt annotates it.
    theirs = run_iree_opt(["--iree-stream-annotate-affinities"], text)
    ours = annotate_text(out, solve_module(out, "fixpoint"))
    assert compare_outputs(ours, theirs, "out.mlir") == []


@pytest.mark.usefixtures("iree_opt")
def test_keep_pins_the_original_to_one_device_and_copies_the_others() -> None:
    text, out = _transformed(keep=A)
    run_iree_opt([], text)
    sets = _sets(out)
    assert sets["@w"] == [A] and sets["@w_device_b"] == [B]
    assert "@w_device_a" not in sets
    assert sets["%1"] == [A] and sets["%2"] == [B] and sets["%r"] == [B]
    assert len(re.findall(r"^util\.global private @w", text, re.M)) == 2  # @w, @w_device_b


def test_globals_iree_does_not_replicate_are_located_errors() -> None:
    module = parse(SOURCE, "w.mlir")
    with pytest.raises(PlacementError) as err:
        replicate_global(module, "@m", [A, B])
    assert "is mutable" in err.value.render() and "w.mlir:9:1:" in err.value.render()
    with pytest.raises(PlacementError, match="no global @nope"):
        replicate_global(module, "@nope", [A, B])


@pytest.mark.usefixtures("iree_opt")
def test_place_emits_a_replicated_global_as_copies_and_resolving_gives_the_choice() -> None:
    from placement.commands.place import PlaceFormat, run_place
    from placement.model.place_cpsat import solve
    from placement.place.problem import Options, build_problem

    source = SOURCE.replace("util.global private mutable @m : tensor<10xf32>\n", "")
    start = source.index("util.initializer")
    source = source[:start] + source[source.index("}\n", start) + 2:]  # no store into @w
    options = Options(replicate=True, storage_weight=0)
    module = parse(source, "w.mlir")
    problem = build_problem(module, solve_module(module, "fixpoint"), options)
    result = solve(problem, 30)
    assert result.place is not None
    w = next(d for d in problem.decisions if d.is_global)
    # By hand: @w is read on device_a (%1) and device_b (%2, %r); a free copy saves both moves.
    assert [problem.devices[k] for k in result.place[w.index]] == [A, B]
    text, code = run_place(module, "w.mlir", PlaceFormat.mlir, options, 30, False, False)
    assert code == 0
    run_iree_opt([], text)
    sets = _sets(parse(text, "out.mlir"))
    assert sets["@w"] == [A] and sets["@w_device_b"] == [B]
    assert sets["%1"] == [A] and sets["%2"] == [B] and sets["%r"] == [B]


@pytest.mark.usefixtures("iree_opt")
@pytest.mark.parametrize("pin", [A, B])
def test_a_pinned_global_serves_its_device_and_copies_go_to_the_others(pin: str) -> None:
    source = SOURCE.replace("util.global private @w :",
                            f"util.global private @w {{stream.affinity = {pin}}} :")
    module = parse(source, "w.mlir")
    replication = replicate_global(module, "@w", [A, B])
    other = B if pin == A else A
    other_name = "@w_device_b" if pin == A else "@w_device_a"
    assert replication.unresolved == []
    assert [replication.copies[d].attr("sym_name") for d in (A, B)] == \
        (['"w"', '"w_device_b"'] if pin == A else ['"w_device_a"', '"w"'])
    # By hand: the uses on `pin` keep reading @w (%1 for device_a; %2 and @on_b's %r for
    # device_b); the others read the one new copy.
    assert replication.redirected == (2 if pin == A else 1)
    before = _sets(parse(source, "w.mlir"))
    text = print_ir(module)
    run_iree_opt([], text)
    out = parse(text, "out.mlir")
    sets = _sets(out)
    assert sets["@w"] == [pin] and sets[other_name] == [other]
    assert sets["%1"] == [A] and sets["%2"] == [B]
    # Pinned to device_a, the call's use moves to @w_device_b, so @on_b's dispatch runs on
    # device_b only; pinned to device_b, @on_b still reads @w itself and keeps the set it had
    # (iree-opt's, checked below).
    assert sets["%r"] == ([B] if pin == A else before["%r"])
    assert f"util.global private @w {{stream.affinity = {pin}}} :" in text  # pin unchanged
    theirs = run_iree_opt(["--iree-stream-annotate-affinities"], text)
    ours = annotate_text(out, solve_module(out, "fixpoint"))
    assert compare_outputs(ours, theirs, "out.mlir") == []


def test_a_pinned_global_needs_no_device_list_entry_and_rejects_another_keep() -> None:
    source = SOURCE.replace("util.global private @w :",
                            f"util.global private @w {{stream.affinity = {A}}} :")
    module = parse(source, "w.mlir")
    with pytest.raises(ValueError, match="differs from @w's pin"):
        replicate_global(module, "@w", [A, B], keep=B)
    # Only device_b asked for: @w still serves device_a (its pin), one copy for device_b.
    replication = replicate_global(parse(source, "w.mlir"), "@w", [B])
    assert sorted(replication.copies) == [A, B]
    assert replication.copies[A].attr("sym_name") == '"w"'
    assert replication.copies[B].attr("sym_name") == '"w_device_b"'
