"""The IREE tools of the oracle extra (`iree-opt`, `iree-compile`, `iree-run-module`,
`iree-cpuinfo`), run at low priority, with their results cached on disk.

Every tool runs under `nice -n 10` (the machine is shared). Results are keyed by the SHA-256 of
the tool, its arguments and its input bytes, under `$PLACEMENT_E2E_CACHE` (default
`/tmp/placement-e2e-cache`); set `PLACEMENT_E2E_CACHE=off` to disable the cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from placement.oracle import find_iree_opt

_FRAME = re.compile(r"#\d+ 0x[0-9a-f]+ (.*?)(?: \S+\.cpp:\d+:\d+)?$")
TOOLS = ("iree-opt", "iree-compile", "iree-run-module", "iree-cpuinfo")


def tool_path(name: str) -> str | None:
    """Where tool `name` is: next to the oracle iree-opt, else on PATH; None if absent."""
    opt = find_iree_opt()
    if opt is not None:
        sibling = Path(opt).with_name(name)
        if sibling.exists():
            return str(sibling)
    return shutil.which(name)


def missing_tools() -> list[str]:
    """The tools of the end-to-end check that are not installed."""
    return [t for t in TOOLS if tool_path(t) is None]


@dataclass(frozen=True)
class ToolResult:
    """Exit code, stdout and stderr of one tool run, and the files it wrote (name -> bytes)."""

    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, bytes]

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def first_error(self) -> str:
        """The first line that says `error` (or an assertion), else, for a crash, the first
        IREE/MLIR frame of the stack dump, else the first non-empty line of stderr."""
        lines = [ln.strip() for ln in self.stderr.splitlines() if ln.strip()]
        for ln in lines:
            if "error" in ln.lower() or "Assertion" in ln:
                return ln
        if "Stack dump:" in self.stderr:
            frames = [_FRAME.match(ln) for ln in lines]
            names = [m.group(1) for m in frames if m and "llvm::sys" not in m.group(1)
                     and ("iree_compiler" in m.group(1) or "mlir::" in m.group(1))]
            return "crash (stack dump) in " + (names[0] if names else "an unknown frame")
        return lines[0] if lines else f"exit code {self.returncode}"


def _cache_dir() -> Path | None:
    value = os.environ.get("PLACEMENT_E2E_CACHE", "/tmp/placement-e2e-cache")
    if value.lower() in ("off", "0", "none", ""):
        return None
    path = Path(value)
    path.mkdir(parents=True, exist_ok=True)
    return path


def run_tool(name: str, args: list[str], inputs: dict[str, bytes] | None = None,
             outputs: tuple[str, ...] = (), timeout: float = 1800) -> ToolResult:
    """Run tool `name` in a fresh directory holding `inputs` (file name -> bytes).

    `args` may name those files relatively; the files listed in `outputs` are read back.
    """
    exe = tool_path(name)
    if exe is None:
        raise FileNotFoundError(f"{name} is not installed (pip install 'placement[oracle]')")
    inputs = inputs or {}
    digest = hashlib.sha256()
    digest.update(json.dumps([name, args, sorted(outputs)]).encode())
    for fname in sorted(inputs):
        digest.update(fname.encode() + b"\0" + hashlib.sha256(inputs[fname]).digest())
    key = digest.hexdigest()
    cache = _cache_dir()
    if cache is not None and (cache / key / "result.json").exists():
        return _load(cache / key)
    # A directory of this run's own: two processes running the same command at once (two
    # test runs on one machine) must not delete or overwrite each other's files.
    Path(_scratch()).mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=key[:16] + "-", dir=_scratch()))
    for fname, data in inputs.items():
        (work / fname).write_bytes(data)
    cmd = ["nice", "-n", "10", exe, *args] if shutil.which("nice") else [exe, *args]
    try:
        proc = subprocess.run(cmd, cwd=work, capture_output=True, timeout=timeout, check=False)
        code, out, err = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired:
        code, out, err = -1, b"", f"{name} timed out after {timeout:.0f} s".encode()
    files = {f: (work / f).read_bytes() for f in outputs if (work / f).exists()}
    result = ToolResult(code, out.decode(errors="replace"), err.decode(errors="replace"), files)
    shutil.rmtree(work, ignore_errors=True)
    if cache is not None:
        _store(cache / key, result)
    return result


def _scratch() -> str:
    return os.environ.get("TMPDIR", "/tmp") + "/placement-e2e-work"


def _store(path: Path, result: ToolResult) -> None:
    tmp = Path(tempfile.mkdtemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent))
    for i, (_name, data) in enumerate(sorted(result.outputs.items())):
        (tmp / f"out{i}").write_bytes(data)
    meta = {"returncode": result.returncode, "stdout": result.stdout, "stderr": result.stderr,
            "outputs": sorted(result.outputs)}
    (tmp / "result.json").write_text(json.dumps(meta))
    shutil.rmtree(path, ignore_errors=True)
    try:
        tmp.rename(path)
    except OSError:  # another run stored the same result first
        shutil.rmtree(tmp, ignore_errors=True)


def _load(path: Path) -> ToolResult:
    meta = json.loads((path / "result.json").read_text())
    files = {fname: (path / f"out{i}").read_bytes() for i, fname in enumerate(meta["outputs"])}
    return ToolResult(meta["returncode"], meta["stdout"], meta["stderr"], files)
