"""Building stream-level modules from the sources of `../shared/corpus/stream/src` with the
recipe of that corpus's README: a complete compile with data tiling and the unify pass
enabled, stopped at the stream phase, printing the IR the pass receives."""

from __future__ import annotations

from dataclasses import dataclass

from placement.e2e.tools import run_tool

_COMMON = ("--iree-opt-data-tiling", "--iree-stream-experimental-unify-encoding-for-globals",
           "--compile-to=stream", "--mlir-print-ir-before=iree-stream-unify-encoding-for-globals")


@dataclass(frozen=True)
class Target:
    """A named set of target flags for the recipe."""

    name: str
    flags: tuple[str, ...]


# Targets this machine (x86-64 with AVX2) can run; `haswell` is the AVX2 CPU of LLVM.
VMVX = Target("vmvx", ("--iree-hal-target-device=local",
                       "--iree-hal-local-target-device-backends=vmvx"))
HASWELL = Target("haswell", ("--iree-hal-target-device=local",
                             "--iree-hal-local-target-device-backends=llvm-cpu",
                             "--iree-llvmcpu-target-cpu=haswell"))
RUNNABLE_TARGETS = (VMVX, HASWELL)


def build_stream_module(source: str, target: Target) -> tuple[str, str]:
    """(stream-level module text, "") or ("", first error line) for one source and target."""
    result = run_tool("iree-compile", ["src.mlir", *_COMMON, *target.flags, "-o", "/dev/null"],
                      {"src.mlir": source.encode()})
    if not result.ok:
        return "", result.first_error()
    text = result.stderr
    # The dump starts with a `// -----// IR Dump Before ...` banner line: drop it.
    if text.startswith("// -----//"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
    return text, ""
