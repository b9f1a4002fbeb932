"""Continue a stream-level module (the IR the unify pass sees) to a `.vmfb`.

`iree-compile --compile-from` only starts at phase boundaries, and UnifyEncodingForGlobals is
the last pass of the stream tensor pipeline, so the rest of the stream phase runs with
`iree-opt` (`STREAM_REST`), then `iree-compile --compile-from=stream` finishes the compile with
the target flags (`target_flags`; the device targets themselves are already in the module).
"""

from __future__ import annotations

from dataclasses import dataclass

from placement.e2e.tools import ToolResult, run_tool

STREAM_REST = ("builtin.module(iree-stream-async-transformation-pipeline,"
               "iree-stream-cmd-transformation-pipeline,iree-stream-optimization-pipeline,"
               "iree-stream-cleanup-pipeline,symbol-dce)")


@dataclass(frozen=True)
class Compiled:
    """One module carried through the rest of the stream phase and compiled to a `.vmfb`."""

    stream: ToolResult  # iree-opt: the program after the stream pipeline (stdout)
    compile: ToolResult | None  # iree-compile (None when the stream step failed)

    @property
    def after_stream(self) -> str:
        """The program after the stream pipeline ("" when that step failed)."""
        return self.stream.stdout if self.stream.ok else ""

    @property
    def ok(self) -> bool:
        return self.stream.ok and self.compile is not None and self.compile.ok

    @property
    def vmfb(self) -> bytes:
        return self.compile.outputs.get("out.vmfb", b"") if self.compile is not None else b""

    def first_error(self) -> str:
        """The first error line of the step that failed ("" when it compiled)."""
        if not self.stream.ok:
            return "iree-opt (stream pipeline): " + self.stream.first_error()
        if self.compile is not None and not self.compile.ok:
            return "iree-compile: " + self.compile.first_error()
        return ""


def compile_stream_module(text: str, target_flags: tuple[str, ...] = ()) -> Compiled:
    """Run the rest of the stream phase on `text`, then compile it from the stream phase."""
    source = {"in.mlir": text.encode()}
    stream = run_tool("iree-opt", [f"--pass-pipeline={STREAM_REST}", "in.mlir"], source)
    if not stream.ok:
        return Compiled(stream, None)
    compiled = run_tool("iree-compile", ["--compile-from=stream", *target_flags, "in.mlir",
                                         "-o", "out.vmfb"],
                        {"in.mlir": stream.stdout.encode()}, outputs=("out.vmfb",))
    return Compiled(stream, compiled)
