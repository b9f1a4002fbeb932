"""The IR building API: changed modules print as text that iree-opt reads back as the change.

Each test edits the IR of `scenarios/two_devices.mlir` with `placement.ir.rewrite.Rewriter`,
prints it with `print_ir`, and lets the real iree-opt parse and verify the result; what must
hold is checked on iree-opt's own generic print, not on ours.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from placement.ir.parser import parse
from placement.ir.printer import print_ir
from placement.ir.rewrite import RewriteError, Rewriter

ROOT = Path(__file__).resolve().parent.parent
SOURCE = (ROOT / "scenarios" / "two_devices.mlir").read_text()


def _find(module, name, result=None):  # type: ignore[no-untyped-def]
    for op in module.root.walk():
        if op.name == name and (result is None or any(r.name == result for r in op.results)):
            return op
    raise AssertionError(f"no {name} {result or ''}")


def _iree_generic(iree_opt: str, text: str) -> str:
    done = subprocess.run([iree_opt, "--mlir-print-op-generic", "-"], input=text,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_untouched_module_prints_as_written_without_comments() -> None:
    module = parse(SOURCE, "two_devices.mlir")
    text = print_ir(module)
    expected = "\n".join(line for line in SOURCE.splitlines() if not line.startswith("//"))
    assert text.strip() == expected.strip()


def test_retarget_a_transfer(iree_opt: str) -> None:
    module = parse(SOURCE, "two_devices.mlir")
    rw = Rewriter(module)
    transfer = _find(module, "flow.tensor.transfer", "%h_b")
    rw.set_property(transfer, "target", "#hal.device.affinity<@device_a>")
    generic = _iree_generic(iree_opt, print_ir(module))
    transfers = [line for line in generic.splitlines() if '"flow.tensor.transfer"' in line]
    assert len(transfers) == 2
    assert all("target = #hal.device.affinity<@device_a>" in line for line in transfers)


def test_new_op_replaces_uses_and_old_op_is_erased(iree_opt: str) -> None:
    module = parse(SOURCE, "two_devices.mlir")
    rw = Rewriter(module)
    old = _find(module, "flow.tensor.transfer", "%out_a")
    source = old.operands[0]
    new = rw.create("flow.tensor.transfer", [source], [old.results[0].type],
                    properties={"target": "#hal.device.affinity<@device_b>"},
                    result_names=["moved"])
    rw.insert_after(old, new)
    assert rw.replace_all_uses(old.results[0], new.results[0]) == 1
    with pytest.raises(RewriteError):
        rw.erase(source.owner)  # still used by `new`
    rw.erase(old)
    text = print_ir(module)
    assert "%out_a" not in text
    generic = _iree_generic(iree_opt, text)
    transfers = [line for line in generic.splitlines() if '"flow.tensor.transfer"' in line]
    assert [("@device_b" in line) for line in transfers] == [True, True]
    export = next(line for line in generic.splitlines() if '"hal.tensor.export"' in line)
    moved = transfers[1].split("=", 1)[0].strip()
    assert f"({moved})" in export or f"({moved}," in export


def test_attribute_set_and_removed(iree_opt: str) -> None:
    module = parse(SOURCE, "two_devices.mlir")
    rw = Rewriter(module)
    w1 = _find(module, "util.global.load", "%w1")
    rw.set_attribute(w1, "stream.affinity", "#hal.device.affinity<@device_b>")
    glob = next(op for op in module.top_level_ops() if op.syntax_attrs.get("sym_name") == '"w1"')
    rw.set_attribute(glob, "stream.affinity", None)
    generic = _iree_generic(iree_opt, print_ir(module))
    load = next(line for line in generic.splitlines() if '"util.global.load"' in line
                and "@w1" in line)
    assert "stream.affinity = #hal.device.affinity<@device_b>" in load
    glob_line = next(line for line in generic.splitlines() if '"util.global"' in line
                     and '"w1"' in line)
    assert "stream.affinity" not in glob_line


def test_fresh_names_never_collide() -> None:
    module = parse(SOURCE, "two_devices.mlir")
    rw = Rewriter(module)
    names = {rw.fresh_name("h") for _ in range(3)}
    assert names == {"%h_1", "%h_2", "%h_3"}  # %h exists in @main
    assert rw.fresh_name("zz") == "%zz"
