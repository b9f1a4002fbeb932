"""The reference engine on small hand-written modules, expectations derived by hand from the spec."""

from __future__ import annotations

from placement.annotate import compute_annotations, solve_module
from placement.ir import load
from placement.ir.explorer import Explorer

A, B, C = ("#hal.device.promise<@dev_a>", "#hal.device.promise<@dev_b>",
           "#hal.device.promise<@dev_c>")


def _annotate(text: str) -> dict[str, dict[str, object]]:
    """Annotations keyed by the op's first result name (or op name + line)."""
    module = load(text)
    out: dict[str, dict[str, object]] = {}
    for ann in compute_annotations(module, solve_module(module)):
        key = ann.op.results[0].name if ann.op.results and ann.op.results[0].name \
            else f"{ann.op.name}@{ann.op.loc.line}"
        out[key] = {"exec": ann.execution, "operands": ann.operands, "results": ann.results}
    return out


def test_public_argument_is_unknown_and_private_unused_argument_has_no_default() -> None:
    ann = _annotate(f"""
util.func public @pub(%arg: tensor<4xi32>) -> tensor<4xi32> {{
  %t = flow.tensor.transfer %arg : tensor<4xi32> to {A}
  util.return %t : tensor<4xi32>
}}
util.func private @priv(%arg: tensor<4xi32>) -> tensor<4xi32> {{
  %u = flow.tensor.transfer %arg : tensor<4xi32> to {B}
  util.return %u : tensor<4xi32>
}}
""")
    assert ann["%t"]["operands"] == [[]]  # public: producers unknown (invalid)
    assert ann["%t"]["results"] == [[A]]
    assert ann["%u"]["operands"] == [[]]  # private, no callers, no default
    assert ann["%u"]["exec"] == [B]


def test_module_default_fills_empty_sets() -> None:
    ann = _annotate(f"""
module attributes {{stream.affinity.default = {C}}} {{
  util.func private @priv(%arg: tensor<4xi32>) -> tensor<4xi32> {{
    %u = flow.tensor.transfer %arg : tensor<4xi32> to {B}
    util.return %u : tensor<4xi32>
  }}
}}
""")
    assert ann["%u"]["operands"] == [[C]]


def test_constant_passed_to_external_function_is_unplaced() -> None:
    ann = _annotate("""
util.func private @ext(%x: tensor<4xi32>) -> tensor<4xi32>
util.func private @f() -> tensor<4xi32> {
  %cst = flow.tensor.constant dense<1> : tensor<4xi32>
  %r = util.call @ext(%cst) : (tensor<4xi32>) -> tensor<4xi32>
  util.return %r : tensor<4xi32>
}
""")
    # C(cst) is INCOMPLETE (callee without body) -> O(cst) invalid -> no execution affinity.
    assert ann["%cst"]["exec"] is None and ann["%cst"]["results"] == [[]]
    assert ann["%r"]["results"] == [[]]


def test_global_without_uses_is_not_annotated_even_if_explicit() -> None:
    ann = _annotate(f"""
util.global private @unused {{stream.affinity = {A}}} : tensor<4xi32>
util.global private @used {{stream.affinity = {B}}} : tensor<4xi32>
util.func private @f() -> tensor<4xi32> {{
  %v = util.global.load @used : tensor<4xi32>
  util.return %v : tensor<4xi32>
}}
""")
    assert "util.global@2" not in ann  # spec Q13
    assert ann["util.global@3"]["exec"] == [B]
    assert ann["%v"]["results"] == [[B]]


def test_indirect_global_makes_loads_unknown() -> None:
    ann = _annotate(f"""
util.global private mutable @g : tensor<4xi32>
util.func private @f() -> tensor<4xi32> {{
  %p = util.global.address @g : !util.ptr<tensor<4xi32>>
  %v = util.global.load @g : tensor<4xi32>
  %t = flow.tensor.transfer %v : tensor<4xi32> to {A}
  util.return %t : tensor<4xi32>
}}
""")
    assert ann["%t"]["operands"] == [[]]
    assert "util.global@2" not in ann


def test_pinned_tie_chain_takes_the_import_affinity() -> None:
    n = 200
    lines = ["util.func public @chain(%bv: !hal.buffer_view) -> tensor<4xi32> {",
             f"  %v0 = hal.tensor.import on({B}) %bv : !hal.buffer_view -> tensor<4xi32>"]
    for i in range(1, n + 1):
        lines.append(f"  %v{i} = flow.dispatch @d(%v{i - 1}) : (tensor<4xi32>) -> %v{i - 1}")
    lines += [f"  %out = flow.tensor.transfer %v{n} : tensor<4xi32> to {A}",
              "  util.return %out : tensor<4xi32>", "}"]
    ann = _annotate("\n".join(lines))
    assert ann[f"%v{n}"]["exec"] == [B] and ann[f"%v{n}"]["results"] == [[B]]
    assert ann["%v1"]["operands"] == [[B]]
    assert ann["%out"]["results"] == [[A]]


def test_ten_thousand_tied_ops_have_no_iteration_bound() -> None:
    n = 10_000
    lines = ["util.func private @chain() -> tensor<4xi32> {",
             "  %v0 = flow.tensor.constant dense<1> : tensor<4xi32>"]
    for i in range(1, n + 1):
        lines.append(f"  %v{i} = flow.dispatch @d(%v{i - 1}) : (tensor<4xi32>) -> %v{i - 1}")
    lines += [f"  %out = flow.tensor.transfer %v{n} : tensor<4xi32> to {C}",
              "  util.return %out : tensor<4xi32>", "}"]
    ann = _annotate("\n".join(lines))
    # The constant is placed with its only (transitive, tied) consumer, 10,000 ties away.
    assert ann["%v0"]["exec"] == [C]
    assert all(ann[f"%v{i}"]["exec"] == [C] for i in (1, n // 2, n))


def test_scf_while_result_includes_after_region_yield_seed_quirk() -> None:
    # Spec 10.1 item 14: the seed reports both the condition's and the body's values.
    ann = _annotate(f"""
util.func private @w(%cond: i1) -> tensor<4xi32> {{
  %a = flow.tensor.constant {{stream.affinity = {A}}} dense<1> : tensor<4xi32>
  %b = flow.tensor.constant {{stream.affinity = {B}}} dense<2> : tensor<4xi32>
  %c = flow.tensor.constant {{stream.affinity = {C}}} dense<3> : tensor<4xi32>
  %w = scf.while (%x = %a) : (tensor<4xi32>) -> tensor<4xi32> {{
    scf.condition(%cond) %c : tensor<4xi32>
  }} do {{
  ^bb0(%y: tensor<4xi32>):
    scf.yield %b : tensor<4xi32>
  }}
  util.return %w : tensor<4xi32>
}}
""")
    assert ann["%w"]["results"] == [[B, C]]


def test_devices_sort_by_text_not_number() -> None:
    d2, d10 = "#hal.device.promise<@dev_2>", "#hal.device.promise<@dev_10>"
    ann = _annotate(f"""
util.func private @f() -> (tensor<4xi32>, tensor<4xi32>) {{
  %cst = flow.tensor.constant dense<1> : tensor<4xi32>
  %x = flow.tensor.transfer %cst : tensor<4xi32> to {d2}
  %y = flow.tensor.transfer %cst : tensor<4xi32> to {d10}
  util.return %x, %y : tensor<4xi32>, tensor<4xi32>
}}
""")
    assert ann["%cst"]["exec"] == [d10, d2]


def test_explorer_reports_incomplete_for_public_function_arguments() -> None:
    module = load("""
util.func public @f(%a: tensor<4xi32>) -> tensor<4xi32> {
  util.return %a : tensor<4xi32>
}
""")
    ex = Explorer(module)
    arg = module.top_level_ops()[0].regions[0].blocks[0].arguments[0]
    assert ex.incoming(arg) == ([], True)
