"""MLIR text in, IR out, text back: parser, IR, explorer, printer."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from placement.ir.core import Module
from placement.ir.parser import parse
from placement.ir.verify import verify


def load(source: str, filename: str = "<input>") -> Module:
    """Parse and verify a module; raise a located PlacementError on bad input."""
    with gc_paused():
        module = parse(source, filename)
        verify(module)
    return module


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (the IR being built is all live: at 100k ops, the
    collector's repeated passes over it were a third of the load time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
