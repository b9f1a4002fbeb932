"""The optional oracle: IREE's own `iree-opt`, run on the same input and compared with ours.

`iree-opt` comes from the `oracle` extra (`iree-base-compiler==3.13.0`); nothing else in the
project needs it. Its output is parsed with our own parser and compared attribute by attribute
(`.usage` attributes, which the seed does not print, are ignored).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from placement import ops as optable
from placement.annotate import ATTR_NAMES
from placement.check import Disagreement
from placement.diagnostics import PlacementError
from placement.ir.core import Module, Operation
from placement.ir.parser import parse
from placement.ops import Role


def find_iree_opt() -> str | None:
    """$PLACEMENT_IREE_OPT, else `iree-opt` on PATH, else next to this Python; None if absent."""
    env = os.environ.get("PLACEMENT_IREE_OPT")
    if env:
        return env
    found = shutil.which("iree-opt")
    if found:
        return found
    sibling = Path(sys.executable).with_name("iree-opt")
    return str(sibling) if sibling.exists() else None


def run_iree_opt(args: list[str], source: str) -> str:
    """Run iree-opt with `args` on `source` (stdin); PlacementError if missing or failing."""
    exe = find_iree_opt()
    if exe is None:
        raise PlacementError("iree-opt is not installed: pip install 'placement[oracle]' "
                             "(iree-base-compiler==3.13.0) or set PLACEMENT_IREE_OPT")
    proc = subprocess.run([exe, *args, "-"], input=source, capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0:
        raise PlacementError("iree-opt failed: " + (proc.stderr.strip().splitlines() or
                                                    ["(no message)"])[0], exe)
    return proc.stdout


def annotated_ops(module: Module) -> list[Operation]:
    """Ops that can carry annotations, in source order: top-level globals and function bodies."""
    out: list[Operation] = []
    for top in module.top_level_ops():
        role = optable.info(top).role
        if role == Role.GLOBAL:
            out.append(top)
        elif role == Role.FUNCTION:
            out.extend(top.walk())
    return out


def _norm(text: str | None) -> str | None:
    return None if text is None else "".join(text.split())


def compare_outputs(ours_text: str, theirs_text: str, filename: str) -> list[Disagreement]:
    """Attribute differences between our printed module (left) and iree-opt's (right)."""
    ours = parse(ours_text, filename)
    theirs = parse(theirs_text, filename + " (iree-opt)")
    a, b = annotated_ops(ours), annotated_ops(theirs)
    if [op.name for op in a] != [op.name for op in b]:
        raise PlacementError("iree-opt's output does not have the same ops as the input; "
                             "cannot align them", filename)
    diffs = []
    for x, y in zip(a, b, strict=True):
        for name in ATTR_NAMES:
            if _norm(x.attributes.get(name)) != _norm(y.attributes.get(name)):
                diffs.append(Disagreement(x, name, x.attributes.get(name),
                                              y.attributes.get(name)))
    return diffs
