"""MLIR text in, IR out, text back: parser, IR, explorer, printer."""

from __future__ import annotations

from placement.ir.core import Module
from placement.ir.parser import parse
from placement.ir.verify import verify


def load(source: str, filename: str = "<input>") -> Module:
    """Parse and verify a module; raise a located PlacementError on bad input."""
    module = parse(source, filename)
    verify(module)
    return module
