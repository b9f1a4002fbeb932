"""Literals iree-opt rejects that the token stream alone does not show (fuzz-10): integer
attributes out of their type's range, dimensions of 2^63 or more, `1e5` without a `.`.
Each: a located error, exit 2, the same line:col and message as iree-opt (checked when
iree-opt is installed); and the boundary values that iree-opt accepts are accepted."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from placement.oracle import find_iree_opt
from tests.conftest import run_cli
from tests.test_verifier import _diagnostics


def _const(value: str, typ: str) -> str:
    return (f"util.func private @f() -> {typ} {{\n  %c = arith.constant {value} : {typ}\n"
            f"  util.return %c : {typ}\n}}\n")


REJECTED = {
    "i8_300": (_const("300", "i8"), "2:23: error: integer constant out of range for attribute"),
    "i8_minus_129": (_const("-129", "i8"),
                     "2:24: error: integer constant out of range for attribute"),
    "i8_minus_zero": (_const("-0", "i8"),
                      "2:24: error: integer constant out of range for attribute"),
    "i8_hex": (_const("0x1FF", "i8"), "2:23: error: integer constant out of range for attribute"),
    "si8_128": ("util.func private @f() {\n  util.return {a = 128 : si8}\n}\n",
                "2:20: error: integer constant out of range for attribute"),
    "index_2_63": (_const("9223372036854775808", "index"),
                   "2:23: error: integer constant out of range for attribute"),
    "dict_entry": ("util.func private @f() {\n  util.return {a = 300 : i8}\n}\n",
                   "2:20: error: integer constant out of range for attribute"),
    "dim_2_63": ("util.func private @f(%a: tensor<9223372036854775808xi32>) {\n"
                 "  util.return\n}\n", "1:33: error: invalid dimension"),
    "dim_huge_second": ("util.func private @f(%a: tensor<4x99999999999999999999xi32>) {\n"
                        "  util.return\n}\n", "1:35: error: invalid dimension"),
    "dense_splat_i8": (_const("dense<300>", "tensor<2xi8>"),
                       "2:29: error: integer constant out of range for type"),
    "dense_list_i8": (_const("dense<[1, -129]>", "tensor<2xi8>"),
                      "2:34: error: integer constant out of range for type"),
    "dense_0d_i32": (_const("dense<99999999999999999999>", "tensor<i32>"),
                     "2:29: error: integer constant out of range for type"),
    "dense_negative_exponent": (_const("dense<-1e999>", "tensor<2xf32>"),
                                "2:31: error: expected '>'"),
    "dense_exponent": (_const("dense<1e999>", "tensor<2xf32>"), "2:30: error: expected '>'"),
    "dense_list_exponent": (_const("dense<[1.0, 2e5]>", "tensor<2xf32>"),
                            "2:36: error: expected ']'"),
}

ACCEPTED = {
    "i8_255": _const("255", "i8"),
    "i8_minus_128": _const("-128", "i8"),
    "si8_127": "util.func private @f() {\n  util.return {a = 127 : si8}\n}\n",
    "index_2_63_minus_1": _const("9223372036854775807", "index"),
    "i1_minus_1": _const("-1", "i1"),
    "dim_2_63_minus_1": ("util.func private @f(%a: tensor<9223372036854775807xi32>) {\n"
                         "  util.return\n}\n"),
    "dense_list_i8_bounds": _const("dense<[255, -128]>", "tensor<2xi8>"),
    "dense_float_bits": _const("dense<0x7F800000>", "tensor<2xf32>"),
    "float_exponent_with_dot": _const("dense<1.0e999>", "tensor<2xf32>"),
    "in_string_and_comment": ('util.func private @f() {\n  // 300 : i8, 1e5\n'
                              '  util.return {s = "300 : i8 1e5 tensor<9223372036854775808x>"}\n}\n'),
}


def _iree(text: str, tmp_path: Path) -> subprocess.CompletedProcess[str] | None:
    iree_opt = find_iree_opt()
    if iree_opt is None:
        return None  # iree-opt's verdict is checked where it is installed
    path = tmp_path / "x.mlir"
    path.write_text(text)
    return subprocess.run([iree_opt, str(path)], capture_output=True, text=True, check=False)


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_rejected_like_iree_opt(name: str, tmp_path: Path) -> None:
    text, expected = REJECTED[name]
    result = run_cli("solve", "-", stdin=text)
    assert result.code == 2 and result.stdout == ""
    assert _diagnostics(result.stderr)[0] == expected
    col = int(expected.split(":")[1])
    assert result.stderr.splitlines()[2] == " " * (col - 1) + "^"
    proc = _iree(text, tmp_path)
    if proc is not None:
        assert proc.returncode != 0
        assert _diagnostics(proc.stderr)[0] == expected


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_boundaries_accepted_like_iree_opt(name: str, tmp_path: Path) -> None:
    text = ACCEPTED[name]
    result = run_cli("solve", "-", stdin=text)
    assert result.code == 0, result.stderr
    proc = _iree(text, tmp_path)
    if proc is not None:
        assert proc.returncode == 0, proc.stderr
