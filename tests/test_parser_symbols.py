"""Quoted symbol names (`@"w_#hal.device.affinity<@d>"`, `@"abc"`): one symbol identity for
quoted and bare spellings, as in MLIR, and the user's spelling printed back.

Checked against the real iree-opt: its `--iree-flow-replicate-globals-per-affinity` names the
copies with quoted names, and its `--iree-stream-annotate-affinities` annotates the result.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from placement.ir.core import symbol_of, symbol_ref
from placement.ir.parser import parse
from placement.ir.printer import print_ir
from tests.conftest import run_cli

MODULE = """\
util.global private @device_a : !hal.device
util.global private @device_b : !hal.device
util.global private @w : tensor<10xf32>
util.initializer {
  %0 = arith.constant dense<1.0> : tensor<10xf32>
  util.global.store %0, @w : tensor<10xf32>
  util.return
}
util.func public @main(%arg0: tensor<10xf32>) -> (tensor<10xf32>, tensor<10xf32>) {
  %a = flow.tensor.transfer %arg0 : tensor<10xf32> to #hal.device.affinity<@device_a>
  %w = util.global.load immutable @w : tensor<10xf32>
  %1 = flow.dispatch @ex::@d(%a, %w) : (tensor<10xf32>, tensor<10xf32>) -> tensor<10xf32>
  %b = flow.tensor.transfer %arg0 : tensor<10xf32> to #hal.device.affinity<@device_b>
  %3 = flow.dispatch @ex::@d(%b, %w) : (tensor<10xf32>, tensor<10xf32>) -> tensor<10xf32>
  util.return %1, %3 : tensor<10xf32>, tensor<10xf32>
}
"""


def _run(iree_opt: str, *args: str, text: str) -> str:
    done = subprocess.run([iree_opt, *args, "-"], input=text, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_symbol_identity() -> None:
    assert symbol_ref('@"abc"') == "@abc" == symbol_of('"abc"')
    assert symbol_ref('@ex::@"d"') == "@ex::@d"
    quoted = '@"w_#hal.device.affinity<@device_b>"'
    assert symbol_ref(quoted) == quoted == symbol_of(quoted[1:])
    # MLIR prints these quoted (checked with iree-opt): not bare identifiers.
    for name in ("a-b", "$a", ".a", "1a"):
        assert symbol_of(f'"{name}"') == f'@"{name}"'
    assert symbol_of('"a$b.c"') == "@a$b.c"


def test_replicated_globals_annotate_as_iree_opt(iree_opt: str, tmp_path: Path) -> None:
    """The module iree-opt's replicate pass prints (quoted copy names) solves, and the
    annotation is iree-opt's own (3.13 semantics, both re-printed by iree-opt)."""
    replicated = _run(iree_opt, "--iree-flow-replicate-globals-per-affinity", text=MODULE)
    assert '@"w_#hal.device.affinity<@device_b>"' in replicated
    path = tmp_path / "r.mlir"
    path.write_text(replicated)
    result = run_cli("solve", "--semantics", "iree-3.13", str(path))
    assert result.code == 0, result.stderr
    theirs = _run(iree_opt, "--iree-stream-annotate-affinities", text=replicated)
    assert _run(iree_opt, text=result.stdout) == theirs
    assert "#hal.device.affinity<@device_b>]]} : tensor<10xf32>" in theirs


def test_quoted_and_bare_spellings_name_one_symbol(iree_opt: str) -> None:
    """`@"abc"` defines what `@abc` calls and vice versa (iree-opt accepts both); the source
    spelling is printed back."""
    text = ('util.func private @"abc"()\nutil.func private @g() {\n'
            '  util.call @abc() : () -> ()\n  util.call @"g"() : () -> ()\n  util.return\n}\n')
    _run(iree_opt, text=text)
    result = run_cli("solve", "-", stdin=text)
    assert result.code == 0, result.stderr
    module = parse(text, "q.mlir")
    assert print_ir(module) == text.replace("\n\n", "\n")
    assert '@"g"' in print_ir(module, force_all=True)
