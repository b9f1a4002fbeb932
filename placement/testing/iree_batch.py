"""Many small modules through one `iree-opt --split-input-file` run (its start-up dominates).

`run_batch(texts, args)` gives, per text, iree-opt's output or its first error. Errors are
assigned to texts by line number (iree-opt reports lines of the whole joined input). A text
that cannot be joined safely (it holds a `// -----` line) is run on its own; a batch whose
result cannot be attributed (a crash, an error without location) is split in halves.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass

from placement.oracle import find_iree_opt

SEPARATOR = "// -----"
_ERROR_RE = re.compile(r"^<stdin>:(\d+):(\d+): error: (.*)$", re.MULTILINE)


@dataclass(frozen=True)
class Verdict:
    """What iree-opt made of one text: its output if accepted, else its first error."""

    output: str | None
    error: str | None
    crashed: bool = False
    line: int | None = None  # where the first error is, in the text (1-based; column in bytes)
    col: int | None = None

    @property
    def accepted(self) -> bool:
        """iree-opt parsed and verified the text (and ran `args` on it)."""
        return self.error is None


def _run(exe: str, args: list[str], source: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([exe, *args, "-"], input=source, capture_output=True, text=True,
                          check=False, errors="replace")


def _crashed(proc: subprocess.CompletedProcess[str]) -> bool:
    return proc.returncode not in (0, 1) or "Stack dump" in proc.stderr


def run_one(text: str, args: list[str], exe: str | None = None) -> Verdict:
    """iree-opt on one text."""
    exe = exe or find_iree_opt()
    if exe is None:
        raise RuntimeError("iree-opt is not installed")
    proc = _run(exe, args, text)
    if _crashed(proc):
        return Verdict(None, "crash: " + proc.stderr.strip()[-300:], crashed=True)
    if proc.returncode == 0:
        return Verdict(proc.stdout, None)
    m = _ERROR_RE.search(proc.stderr)
    if m is None:
        return Verdict(None, (proc.stderr.strip().splitlines() or ["(no message)"])[0])
    return Verdict(None, m.group(3), line=int(m.group(1)), col=int(m.group(2)))


def _joinable(text: str) -> bool:
    return SEPARATOR not in text


def run_batch(texts: list[str], args: list[str] | None = None, exe: str | None = None,
              size: int = 100) -> list[Verdict]:
    """iree-opt's verdict on each text, in `size`-text batches."""
    args = list(args or [])
    exe = exe or find_iree_opt()
    if exe is None:
        raise RuntimeError("iree-opt is not installed")
    out: list[Verdict | None] = [None] * len(texts)
    batch: list[int] = []
    for i, text in enumerate(texts):
        if _joinable(text):
            batch.append(i)
        else:
            out[i] = run_one(text, args, exe)
        if len(batch) == size:
            _fill(exe, args, texts, batch, out)
            batch = []
    if batch:
        _fill(exe, args, texts, batch, out)
    return [v if v is not None else Verdict(None, "no verdict") for v in out]


def _fill(exe: str, args: list[str], texts: list[str], batch: list[int],
          out: list[Verdict | None]) -> None:
    parts = [texts[i] if texts[i].endswith("\n") else texts[i] + "\n" for i in batch]
    firsts: list[int] = []  # 1-based first line of each part in the joined text
    line = 1
    for part in parts:
        firsts.append(line)
        line += part.count("\n") + 1
    joined = (SEPARATOR + "\n").join(parts)
    proc = _run(exe, ["--split-input-file", *args], joined)
    errors: dict[int, Verdict] = {}
    attributable = not _crashed(proc)
    for m in _ERROR_RE.finditer(proc.stderr):
        n = int(m.group(1))
        k = max(j for j, f in enumerate(firsts) if f <= n) if n >= 1 else -1
        if k < 0:
            attributable = False
            break
        errors.setdefault(k, Verdict(None, m.group(3), line=n - firsts[k] + 1,
                                     col=int(m.group(2))))
    if attributable and proc.returncode != 0 and not errors:
        attributable = False
    if not attributable:
        _split(exe, args, texts, batch, out)
        return
    outputs = re.split(r"^// -----\n", proc.stdout, flags=re.MULTILINE)
    if len(outputs) != len(batch):  # cannot tell which output is whose
        _split(exe, args, texts, batch, out)
        return
    for k, i in enumerate(batch):
        out[i] = errors[k] if k in errors else Verdict(outputs[k], None)


def _split(exe: str, args: list[str], texts: list[str], batch: list[int],
           out: list[Verdict | None]) -> None:
    """Run the halves of a batch that could not be attributed (one text: on its own)."""
    if len(batch) == 1:
        out[batch[0]] = run_one(texts[batch[0]], args, exe)
        return
    half = len(batch) // 2
    _fill(exe, args, texts, batch[:half], out)
    _fill(exe, args, texts, batch[half:], out)
