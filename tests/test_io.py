"""One input and output path for every command: reader, splitter, writer, start-up, options.

Process-level behaviour (exit codes, stdin, files written) runs the real CLI in a subprocess;
iree-opt's behaviour is the reference wherever the rule says "as iree-opt".
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, run_cli
from placement.inputs import split_input

COMMANDS = ("solve", "check", "explain", "unify")

GOOD = "util.func private @{name}() {{\n  util.return\n}}\n"
BAD = "util.func private @{name}() {{\n  util.return %x\n}}\n"

# A module where solve annotates a global (through the store of a transferred value).
GLOBAL_MODULE = """\
util.global private @dev_a : !hal.device
util.global private mutable @g : tensor<4xi32>
util.func public @f() {
  %c = flow.tensor.constant dense<1> : tensor<4xi32>
  %t = flow.tensor.transfer %c : tensor<4xi32> to #hal.device.promise<@dev_a>
  util.global.store %t, @g : tensor<4xi32>
  util.return
}
"""


def cli(*args: str, stdin: bytes | Path | None = None,
        cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m placement ARGS` in a fresh process (stdin: bytes, or a file to redirect
    from)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if isinstance(stdin, Path):
        with stdin.open("rb") as f:
            done = subprocess.run([sys.executable, "-m", "placement", *args], stdin=f,
                                  capture_output=True, env=env, cwd=cwd, check=False)
    else:
        done = subprocess.run([sys.executable, "-m", "placement", *args], input=stdin or b"",
                              capture_output=True, env=env, cwd=cwd, check=False)
    return subprocess.CompletedProcess(done.args, done.returncode,
                                       done.stdout.decode(errors="replace"),
                                       done.stderr.decode(errors="replace"))


def _functions(text: str) -> list[list[str]]:
    """Per output case (split on `// -----`), the names of the functions it prints."""
    return [re.findall(r"util\.func private @(\w+)", part) for part in text.split("// -----")]


def _iree_opt(iree_opt: str, path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([iree_opt, *args, str(path)], capture_output=True, text=True,
                          errors="replace", check=False)


# ---------------------------------------------------------------- reader


def test_stdin_is_read_with_a_dash() -> None:
    done = cli("solve", "-", stdin=GOOD.format(name="a").encode())
    assert done.returncode == 0 and _functions(done.stdout) == [["a"]]
    bad = cli("solve", "-", stdin=BAD.format(name="a").encode())
    assert bad.returncode == 2 and bad.stderr.startswith("<stdin>:2:17: error: expected ':'")  # as iree-opt


@pytest.mark.parametrize("text", ["", "  \n\n", "// only a comment\n\n// and another\n"])
def test_an_input_without_ops_is_an_empty_module(text: str, tmp_path: Path,
                                                 iree_opt: str) -> None:
    path = tmp_path / "empty.mlir"
    path.write_text(text)
    theirs = _iree_opt(iree_opt, path)
    assert theirs.returncode == 0 and theirs.stdout.split() == ["module", "{", "}"]
    for command in ("solve", "check"):
        done = cli(command, str(path))
        assert done.returncode == 0, done.stderr
    assert cli("solve", str(path)).stdout == "module {\n}\n"


def test_bad_bytes_inside_comments_are_accepted_as_iree_opt_does(tmp_path: Path,
                                                                 iree_opt: str) -> None:
    path = tmp_path / "c.mlir"
    path.write_bytes(b'// a NUL \x00 and bytes \xff\xfe in a comment\n'
                     b'util.func private @f() { // \xc3 trailing\n  util.return\n}\n'
                     b'util.global private @s = "a // \xe2\x82\xac" : !util.buffer\n')
    assert _iree_opt(iree_opt, path).returncode == 0
    done = cli("solve", str(path))
    assert done.returncode == 0, done.stderr
    assert _functions(done.stdout) == [["f"]] and "\x00" not in done.stdout


# A NUL outside a string is a blank to MLIR's lexer (iree-opt accepts these, and keeps a NUL
# in a string); so is it to ours.
@pytest.mark.parametrize("data", [
    b"util.func private @f() {\n  util.return\x00\n}\n",
    b"\x00util.func private @f() {\n  %c = arith.constant 1 :\x00 i32\n  util.return\n}\n\x00",
    b"util.func private @f() {\n  %c = arith.constant dense<1> : tensor<1x\x00i32>\n"
    b"  util.return\n}\n",
    b'util.global private @s = "a\x00b" : !util.buffer\n',
])
def test_nul_bytes_are_blanks_as_iree_opt_reads_them(data: bytes, tmp_path: Path,
                                                     iree_opt: str) -> None:
    path = tmp_path / "n.mlir"
    path.write_bytes(data)
    assert _iree_opt(iree_opt, path).returncode == 0
    done = cli("solve", str(path))
    assert done.returncode == 0, done.stderr


# iree-opt rejects the first; it accepts the other (a string's bytes), which the comment-only
# rule does not.
@pytest.mark.parametrize(("data", "where", "message"), [
    (b"util.func private @f() {\n  util.return \xff\n}\n", "2:15", "not UTF-8"),
    (b'util.global private @s = "\xff // x" : !util.buffer\n', "1:27", "not UTF-8"),
])
def test_bad_bytes_outside_comments_are_located_errors(data: bytes, where: str, message: str,
                                                       tmp_path: Path, iree_opt: str) -> None:
    path = tmp_path / "b.mlir"
    path.write_bytes(data)
    done = cli("solve", str(path))
    assert done.returncode == 2 and done.stdout == ""
    head, source_line, caret = done.stderr.splitlines()[:3]
    assert head.startswith(f"{path}:{where}: error: ") and message in head
    assert caret == " " * (int(where.split(":")[1]) - 1) + "^"
    assert source_line == data.decode(errors="replace").split("\n")[int(where[0]) - 1] \
        .replace("\x00", "\ufffd")
    if where == "2:15":
        assert _iree_opt(iree_opt, path).returncode != 0


# ---------------------------------------------------------------- splitter

SPLITS = {
    # mid-line marker, near misses (4 dashes, '-----0', marker at the very end), 6 dashes
    "quirks": ("util.func private @a() {\n  util.return\n} // -----\n" + GOOD.format(name="b")
               + "// ----\n" + GOOD.format(name="c") + "// -----\n" + GOOD.format(name="d")
               + "// -----0\n" + GOOD.format(name="e") + "// -----"),
    "leading_marker": "// -----\n" + GOOD.format(name="a"),
    "trailing_marker": GOOD.format(name="a") + "// -----\n",
    "only_markers": "// -----\n// -----\n",
    "empty": "",
    "plain": GOOD.format(name="a") + "// -----\n" + GOOD.format(name="b"),
}


@pytest.mark.parametrize("name", sorted(SPLITS))
def test_split_input_file_cuts_where_iree_opt_cuts(name: str, tmp_path: Path,
                                                   iree_opt: str) -> None:
    path = tmp_path / f"{name}.mlir"
    path.write_text(SPLITS[name])
    theirs = _iree_opt(iree_opt, path, "--split-input-file")
    ours = cli("solve", "--split-input-file", str(path))
    assert (ours.returncode == 0) == (theirs.returncode == 0), (ours.stderr, theirs.stderr)
    assert _functions(ours.stdout) == _functions(theirs.stdout)
    warn = [line.split(": warning: ")[0].rsplit(":", 2)[1:] for line in
            theirs.stderr.splitlines() if ": warning: " in line]
    ours_warn = [line.split(": warning: ")[0].rsplit(":", 2)[1:] for line in
                 ours.stderr.splitlines() if ": warning: " in line]
    assert ours_warn == warn
    errors = [line.split(": error: ")[0].rsplit(":", 2)[1:] for line in
              theirs.stderr.splitlines() if ": error: " in line]
    ours_errors = [line.split(": error: ")[0].rsplit(":", 2)[1:] for line in
                   ours.stderr.splitlines() if ": error: " in line]
    assert ours_errors == errors


def test_split_cases_keep_file_lines_and_columns() -> None:
    text = "// x\n" + GOOD.format(name="a") + "  // -----\n" + BAD.format(name="b")
    first, second = split_input(text, True).cases
    assert first.text.startswith("// x\n")
    line_of_x = second.text[:second.text.index("%x")].count("\n") + 1
    assert line_of_x == 7 == text[:text.index("%x")].count("\n") + 1
    assert second.text.index("%x") + second.shift == text.index("%x")


def test_every_bad_case_is_reported_and_the_good_ones_printed(tmp_path: Path,
                                                              iree_opt: str) -> None:
    path = tmp_path / "mixed.mlir"
    path.write_text("// -----\n".join([GOOD.format(name="a"), BAD.format(name="b"),
                                       GOOD.format(name="c"), BAD.format(name="d")]))
    theirs = _iree_opt(iree_opt, path, "--split-input-file")
    ours = cli("solve", "--split-input-file", str(path))
    assert ours.returncode == 2 and theirs.returncode != 0
    assert _functions(ours.stdout) == _functions(theirs.stdout) == [["a"], [], ["c"], []]
    def where(stderr: str) -> list[str]:
        return [line.split(": error: ")[0] for line in stderr.splitlines() if ": error: " in line]

    assert where(ours.stderr) == where(theirs.stderr) == [f"{path}:6:17", f"{path}:14:17"]
    for command, extra in (("check", ()), ("explain", ("--op", "2")),
                           ("unify", ("--policy", "iree"))):
        done = cli(command, "--split-input-file", str(path), *extra)
        assert done.returncode == 2, (command, done.stderr)
        assert done.stderr.count(": error: ") == 2, (command, done.stderr)
    check = cli("check", "--split-input-file", "--format", "json", str(path))
    assert json.loads(check.stdout)["cases"] == 2


# ---------------------------------------------------------------- writer


def test_dash_output_is_stdout(tmp_path: Path) -> None:
    path = tmp_path / "m.mlir"
    path.write_text(GLOBAL_MODULE)
    for command, extra in (("solve", ()), ("check", ()), ("explain", ("--value", "@g"))):
        done = cli(command, str(path), "-o", "-", *extra)
        assert done.returncode == 0 and done.stdout == cli(command, str(path), *extra).stdout
        assert done.stdout and not (tmp_path / "-").exists()


def test_output_file_is_replaced_atomically(tmp_path: Path) -> None:
    path = tmp_path / "m.mlir"
    path.write_text(GLOBAL_MODULE)
    out = tmp_path / "out" / "annotated.mlir"
    out.parent.mkdir()
    out.write_text("old\n")
    os.chmod(out, 0o640)
    keep = tmp_path / "old-link.mlir"
    os.link(out, keep)  # a hard link to the old file: a rename leaves its inode alone
    done = cli("solve", str(path), "-o", str(out))
    assert done.returncode == 0 and done.stdout == ""
    assert out.read_text() == cli("solve", str(path)).stdout
    assert keep.read_text() == "old\n", "written in place instead of renamed over"
    assert sorted(p.name for p in out.parent.iterdir()) == ["annotated.mlir"]
    assert out.stat().st_mode & 0o777 == 0o640


def test_output_to_a_fifo_is_written_into_it_not_renamed_over(tmp_path: Path) -> None:
    # `-o /dev/null` as root once renamed a temporary file over the device: a target that is
    # not a regular file (device, FIFO) must be written in place and stay what it was.
    import stat
    import threading

    path = tmp_path / "m.mlir"
    path.write_text(GLOBAL_MODULE)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    done = cli("solve", str(path), "-o", str(fifo))
    reader.join(timeout=60)
    assert done.returncode == 0, done.stderr
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert got == [cli("solve", str(path)).stdout]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.mlir", "pipe"]


def test_output_through_a_symlink_replaces_its_target(tmp_path: Path) -> None:
    path = tmp_path / "m.mlir"
    path.write_text(GLOBAL_MODULE)
    target = tmp_path / "real.mlir"
    target.write_text("old\n")
    link = tmp_path / "link.mlir"
    link.symlink_to(target)
    assert cli("solve", str(path), "-o", str(link)).returncode == 0
    assert link.is_symlink() and "stream.affinities" in target.read_text()


@pytest.mark.parametrize("command", COMMANDS)
def test_unwritable_output_is_an_error_and_nothing_is_written(command: str,
                                                              tmp_path: Path) -> None:
    path = tmp_path / "m.mlir"
    path.write_text(GLOBAL_MODULE)
    blocker = tmp_path / "file"
    blocker.write_text("")
    before = sorted(tmp_path.iterdir())
    extra = ("--value", "@g") if command == "explain" else ()
    done = cli(command, str(path), "-o", str(blocker / "out.mlir"), *extra)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("error: cannot write output: "), done.stderr
    assert "Traceback" not in done.stderr
    assert sorted(tmp_path.iterdir()) == before and blocker.read_text() == ""


def test_failed_case_leaves_the_output_file_untouched(tmp_path: Path) -> None:
    path = tmp_path / "mixed.mlir"
    path.write_text(GOOD.format(name="a") + "// -----\n" + BAD.format(name="b"))
    out = tmp_path / "out.mlir"
    out.write_text("previous\n")
    done = cli("solve", "--split-input-file", str(path), "-o", str(out))
    assert done.returncode == 2 and out.read_text() == "previous\n"


def test_table_format_writes_the_output_file(tmp_path: Path) -> None:
    path = tmp_path / "m.mlir"
    path.write_text(GLOBAL_MODULE)
    out = tmp_path / "table.txt"
    done = cli("solve", str(path), "--format", "table", "-o", str(out))
    assert done.returncode == 0 and done.stdout == ""
    text = out.read_text()
    assert "flow.tensor.transfer" in text and "@dev_a" in text and "\x1b[" not in text


# ---------------------------------------------------------------- output is never the input


@pytest.mark.parametrize("how", ["same", "hard_link", "symlink", "relative"])
def test_output_is_never_the_input(how: str, tmp_path: Path) -> None:
    path = tmp_path / "m.mlir"
    path.write_text(GLOBAL_MODULE)
    other = {"same": path, "hard_link": tmp_path / "hl.mlir", "symlink": tmp_path / "sl.mlir",
             "relative": Path("m.mlir")}[how]
    if how == "hard_link":
        os.link(path, other)
    elif how == "symlink":
        other.symlink_to(path)
    for command in COMMANDS:
        extra = ("--value", "@g") if command == "explain" else ()
        done = cli(command, str(path), "-o", str(other), *extra, cwd=tmp_path)
        assert done.returncode == 2 and "refusing to overwrite the input" in done.stderr
        assert path.read_text() == GLOBAL_MODULE


def test_output_is_never_the_file_stdin_comes_from(tmp_path: Path) -> None:
    path = tmp_path / "m.mlir"
    path.write_text(GLOBAL_MODULE)
    done = cli("solve", "-", "-o", str(path), stdin=path)
    assert done.returncode == 2 and "refusing to overwrite the input" in done.stderr
    assert path.read_text() == GLOBAL_MODULE
    other = tmp_path / "other.mlir"
    assert cli("solve", "-", "-o", str(other), stdin=path).returncode == 0
    assert "stream.affinities" in other.read_text()


# ---------------------------------------------------------------- start-up and options


def test_help_and_version_load_no_engine() -> None:
    """`--help`/`--version` import no solver or engine (the timing is in benchmarks/)."""
    code = ("import sys; from placement.cli import run; run(['--help']); run(['--version']);"
            "heavy = [m for m in ('z3', 'ortools', 'lark', 'placement.ir.parser',"
            " 'placement.baseline.fixpoint', 'placement.model.constraints') if m in sys.modules];"
            "print('HEAVY', heavy)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), check=True)
    assert "HEAVY []" in done.stdout
    assert "placement " in done.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_file_format_and_output(command: str) -> None:
    done = run_cli(command, "--help")
    assert done.code == 0
    usage = next(line for line in done.stdout.splitlines() if "Usage:" in line)
    assert f"placement {command} [OPTIONS] {{FILE}}" in usage
    assert not re.search(r"\b(str|Path|int|bool)\b", usage)
    for flag in ("-f", "--format", "-o", "--output"):
        assert re.search(rf"(^|[\s│,]){re.escape(flag)}(\s|,|$)", done.stdout), (command, flag)


def test_no_private_typer_or_click_api() -> None:
    for path in (ROOT / "placement").rglob("*.py"):
        assert "typer._" not in path.read_text(), path


# ---------------------------------------------------------------- explain fixes


def test_explain_op_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "m.mlir"
    path.write_text(GLOBAL_MODULE)
    for where in ("5:3", "5", f"{path}:5:3"):
        done = run_cli("explain", str(path), "--op", where, "--format", "json")
        assert done.code == 0, (where, done.stderr)
        found = json.loads(done.stdout)["explanations"]
        assert found[0]["what"].startswith("execution of %t = flow.tensor.transfer")
        assert found[0]["location"] == f"{path}:5:3"
    assert run_cli("explain", str(path), "--op", "5:4").code == 2  # no op starts there
    assert run_cli("explain", str(path), "--op", "x:y").code == 2


def test_explain_of_a_global_agrees_with_solve(tmp_path: Path) -> None:
    path = tmp_path / "m.mlir"
    path.write_text(GLOBAL_MODULE)
    solved = json.loads(run_cli("solve", str(path), "--format", "json").stdout)
    (ann,) = [op for op in solved["cases"][0]["ops"] if op["symbol"] == "@g"]
    assert ann["execution"] == ["#hal.device.promise<@dev_a>"]
    printed = "[" + ", ".join(ann["execution"]) + "]"
    for args in (("--value", "@g"), ("--op", "2:1"), ("--op", "2")):
        done = run_cli("explain", str(path), *args, "--format", "json")
        assert done.code == 0, done.stderr
        (exp,) = json.loads(done.stdout)["explanations"]
        assert exp["element"] == "G(@g)" and exp["printed"] == printed
        assert exp["derivations"][0]["steps"][0]["rule"] == "4.3.3 stored value"
    assert run_cli("explain", str(path), "--value", "@nope").code == 2


# ---------------------------------------------------------------- direct command calls

TINY = "func.func @f() {\n  return\n}\n"


def test_solve_of_a_tiny_file_loads_no_solver_pydantic_or_rich(tmp_path: Path) -> None:
    """`placement solve` of a 3-line file (the real entry point) imports neither a solver nor
    typer's pydantic-based coercion nor rich (the timing is benchmarks/startup.py's)."""
    path = tmp_path / "tiny.mlir"
    path.write_text(TINY)
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "placement", "solve",
                           str(path)], capture_output=True, text=True, check=True,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.stdout == TINY
    imported = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines()
                if line.startswith("import time:") and "|" in line}
    assert "placement.ir.parser" in imported  # the listing is the real one
    heavy = sorted(m for m in imported
                   if m.split(".")[0] in ("z3", "ortools", "pydantic", "pydantic_core", "rich"))
    assert heavy == []


def _captured(argv: list[str], direct: bool) -> tuple[int, str, str]:
    import io
    from contextlib import redirect_stderr, redirect_stdout

    from placement.cli import run

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = run(argv, direct=direct)
    return code, out.getvalue(), err.getvalue()


DIRECT = [
    ["solve", "{m}"], ["solve", "{m}", "--format", "json"], ["solve", "-f", "table", "{m}"],
    ["solve", "-fjson", "{m}"], ["solve", "--format=json", "{m}"],
    ["solve", "{m}", "--engine", "z3", "--split-input-file"],
    ["solve", "--semantics", "iree-3.13", "--solver-max-iterations", "1", "{m}"],
    ["solve", "--", "{m}"], ["solve", "{m}", "-o", "-"], ["solve", "{bad}"],
    ["solve", "{missing}"], ["check", "{m}"], ["check", "{m}", "-f", "json"],
]
TYPER = [
    ["solve", "--help"], ["solve"], ["solve", "{m}", "{m}"], ["solve", "{m}", "-f", "JSON"],
    ["solve", "{m}", "--format"], ["solve", "{m}", "--nope"], ["solve", "{m}", "-f=json"],
    ["solve", "{m}", "--solver-max-iterations", "x"], ["solve", "--split-input-file=1", "{m}"],
    ["nope", "{m}"], ["--version"],
    ["explain", "{m}", "--value", "%t"],  # optional (None-default) options: typer's
]


@pytest.mark.parametrize("argv", DIRECT + TYPER, ids=lambda a: " ".join(a))
def test_direct_call_behaves_as_typer(argv: list[str], tmp_path: Path) -> None:
    """The direct reader takes exactly the plain calls, and each gives typer's own result
    (exit code, stdout, stderr); all the others go to typer."""
    from placement.cli import direct_call

    (tmp_path / "m.mlir").write_text(GLOBAL_MODULE)
    (tmp_path / "bad.mlir").write_text(BAD.format(name="f"))
    names = {"m": tmp_path / "m.mlir", "bad": tmp_path / "bad.mlir",
             "missing": tmp_path / "missing.mlir"}
    args = [a.format(**names) for a in argv]
    assert (direct_call(args) is not None) == (argv in DIRECT)
    direct, typer = _captured(args, True), _captured(args, False)
    assert direct == typer
    if argv in DIRECT[:9]:
        assert direct[0] == 0, direct[2]
