"""Bad input gives an MLIR-style located diagnostic and exit code 2, never a traceback."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CORPUS, run_cli

LOCATED = re.compile(r"^(?P<file>.+):(?P<line>\d+):(?P<col>\d+): error: (?P<msg>.+)$")


def _diagnostic(stderr: str) -> tuple[re.Match[str], str, str]:
    lines = stderr.rstrip("\n").split("\n")
    m = LOCATED.match(lines[0])
    assert m, stderr
    assert len(lines) >= 3, "expected the source line and a caret"
    return m, lines[1], lines[2]


CASES = {
    "malformed": ("util.func private @f() {\n  %0 = = flow.tensor.constant\n}\n", 2,
                  "expected an operation name"),
    "truncated": ("util.func private @f() -> tensor<1xi32> {\n"
                  "  %c = flow.tensor.constant dense<1> : tensor<1xi32>\n", 1,
                  "expected '}' to close the region opened here"),
    "undefined_value": ("util.func private @f() -> tensor<1xi32> {\n"
                        "  util.return %nope : tensor<1xi32>\n}\n", 2,
                        "use of undeclared SSA value name '%nope'"),
    "unknown_symbol": ("util.func private @f() -> tensor<1xi32> {\n"
                       "  %0 = util.global.load @missing : tensor<1xi32>\n"
                       "  util.return %0 : tensor<1xi32>\n}\n", 2,
                       "'util.global.load' op undefined global: @missing"),
    "unknown_callee": ("util.func private @f() {\n  util.call @nowhere() : () -> ()\n"
                       "  util.return\n}\n", 2,
                       "'util.call' op undefined/incompatible callee: nowhere"),
    "unterminated_string": ('util.global private @g = "abc : tensor<1xi32>\n', 1,
                            "string literal"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_located_diagnostic(name: str, tmp_path: Path) -> None:
    text, line, message = CASES[name]
    path = tmp_path / f"{name}.mlir"
    path.write_text(text)
    before = path.read_bytes()
    result = run_cli("solve", str(path))
    assert result.code == 2
    assert result.stdout == ""
    m, source_line, caret = _diagnostic(result.stderr)
    assert m["file"] == str(path) and int(m["line"]) == line
    assert message in m["msg"]
    col = int(m["col"])
    assert caret == " " * (col - 1) + "^"
    if text.strip():
        assert source_line == text.split("\n")[line - 1]
    assert path.read_bytes() == before, "the input file must never be written"


def test_binary_junk(tmp_path: Path) -> None:
    path = tmp_path / "junk.mlir"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    result = run_cli("solve", str(path))
    assert result.code == 2
    m, _, caret = _diagnostic(result.stderr)
    assert "not UTF-8" in m["msg"] and caret.endswith("^")


def test_nul_bytes(tmp_path: Path) -> None:
    # A NUL is a blank to MLIR's lexer: between tokens it is accepted (as iree-opt does); inside
    # a token it splits it (iree-opt 3.13: `2:25: error: expected non-function type`).
    path = tmp_path / "nul.mlir"
    path.write_bytes(b"util.func private @f() {\n  util.return\x00\n}\n")
    assert run_cli("solve", str(path)).code == 0
    path.write_bytes(b"util.func private @f() {\n  %c = arith.constant 1 : i\x0032\n"
                     b"  util.return\n}\n")
    result = run_cli("solve", str(path))
    assert result.code == 2
    m, _, _ = _diagnostic(result.stderr)
    assert m["line"] == "2" and "Traceback" not in result.stderr


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.mlir"
    result = run_cli("solve", str(path))
    assert result.code == 2
    assert result.stderr.startswith(f"{path}: error: could not open input file")
    assert "Traceback" not in result.stderr


def test_directory(tmp_path: Path) -> None:
    result = run_cli("solve", str(tmp_path))
    assert result.code == 2 and "error:" in result.stderr


def test_refuses_to_overwrite_the_input(tmp_path: Path) -> None:
    path = tmp_path / "m.mlir"
    text = (CORPUS / "real" / "mlp_pipeline_2dev.mlir").read_text()
    path.write_text(text)
    result = run_cli("solve", str(path), "-o", str(path))
    assert result.code == 2 and "overwrite" in result.stderr
    assert path.read_text() == text


def test_bad_case_in_split_file_is_located_in_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "split.mlir"
    path.write_text("util.func private @a() {\n  util.return\n}\n// -----\n"
                    "util.func private @b() {\n  util.return %x\n}\n")
    result = run_cli("solve", "--split-input-file", str(path))
    assert result.code == 2
    m, source_line, _ = _diagnostic(result.stderr)
    assert m["line"] == "6" and source_line == "  util.return %x"


def test_stdin_and_no_traceback_in_a_real_process() -> None:
    proc = subprocess.run([sys.executable, "-m", "placement", "solve", "-"],
                          input="util.func private @f( {", capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 2
    assert proc.stderr.startswith("<stdin>:1:")
    assert "Traceback" not in proc.stderr
