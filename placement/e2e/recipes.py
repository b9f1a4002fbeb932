"""Building stream-level modules from the sources of `../shared/corpus/stream/src` with the
recipe of that corpus's README: a complete compile with data tiling and the unify pass
enabled, stopped at the stream phase, printing the IR the pass receives."""

from __future__ import annotations

import re
from dataclasses import dataclass

from placement.e2e.tools import run_tool

_COMMON = ("--iree-opt-data-tiling", "--iree-stream-experimental-unify-encoding-for-globals",
           "--compile-to=stream", "--mlir-print-ir-before=iree-stream-unify-encoding-for-globals")


@dataclass(frozen=True)
class Target:
    """A named set of target flags for the recipe, and the HAL device they compile for."""

    name: str
    flags: tuple[str, ...]
    device: str = "local"


# Targets this machine (x86-64 with AVX2) can run; `haswell` is the AVX2 CPU of LLVM.
VMVX = Target("vmvx", ("--iree-hal-local-target-device-backends=vmvx",))
HASWELL = Target("haswell", ("--iree-hal-local-target-device-backends=llvm-cpu",
                             "--iree-llvmcpu-target-cpu=haswell"))
RUNNABLE_TARGETS = (VMVX, HASWELL)
# Compile-only targets (no such device here): ROCm gfx942.
GFX942 = Target("gfx942", ("--iree-rocm-target=gfx942",), "hip")
COMPILE_ONLY_TARGETS = (GFX942,)


_PROMISE = re.compile(r"#hal\.device\.promise<@([\w$.-]+)>")
_BANNER = "// -----// IR Dump Before "


def device_flags(source: str, device: str = "local") -> tuple[str, ...]:
    """One device, or one named device per device a source promises."""
    names = sorted(set(_PROMISE.findall(source)))
    if not names:
        return (f"--iree-hal-target-device={device}",)
    return tuple(f"--iree-hal-target-device={n}={device}" for n in names)


def build_stream_module(source: str, target: Target) -> tuple[str, str]:
    """(stream-level module text, "") or ("", first error line) for one source and target."""
    result = run_tool("iree-compile", ["src.mlir", *_COMMON, *device_flags(source, target.device),
                                       *target.flags, "-o", "unused.vmfb"],
                      {"src.mlir": source.encode()})
    text = result.stderr
    if not text.startswith(_BANNER) or "\n}\n" not in text:
        return "", "iree-compile: " + result.first_error()
    # The dump starts with a `// -----// IR Dump Before ...` banner line and ends with the
    # module's closing brace. What follows is the rest of the compile, which may fail inside
    # IREE's own unify pass (it crashes on mlp_replicated_2dev with two local devices): the
    # IR the pass receives is complete by then, and that is what we need.
    body = text.split("\n", 1)[1]
    return body[:body.index("\n}\n") + 3], ""
