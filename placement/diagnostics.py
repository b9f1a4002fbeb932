"""MLIR-style diagnostics: `file:line:col: error: message`, the source line and a caret."""

from __future__ import annotations


class PlacementError(Exception):
    """An error in the user's input, reported with a location and never as a traceback."""

    def __init__(self, message: str, filename: str = "<input>", source: str | None = None,
                 offset: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.filename = filename
        self.source = source
        self.offset = offset

    def render(self) -> str:
        """The diagnostic as MLIR prints it."""
        if self.source is None or self.offset is None:
            return f"{self.filename}: error: {self.message}"
        line, col, text = line_col(self.source, self.offset)
        caret = " " * (col - 1) + "^"
        return f"{self.filename}:{line}:{col}: error: {self.message}\n{text}\n{caret}"


def line_col(source: str, offset: int) -> tuple[int, int, str]:
    """1-based line and column of `offset`, and the text of that line (tabs kept as one column)."""
    offset = max(0, min(offset, len(source)))
    line_start = source.rfind("\n", 0, offset) + 1
    line_end = source.find("\n", offset)
    if line_end < 0:
        line_end = len(source)
    line = source.count("\n", 0, line_start) + 1
    return line, offset - line_start + 1, source[line_start:line_end]
