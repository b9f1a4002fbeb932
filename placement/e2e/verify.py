"""The end-to-end check: compile the un-unified and the unified module, run both on this
machine's CPU where possible, compare outputs bit for bit, and measure the stored bytes of
encoded weights after the stream pipeline (`placement unify --verify`, and tests)."""

from __future__ import annotations

from dataclasses import dataclass, field

from placement.e2e.pipeline import Compiled, compile_stream_module
from placement.e2e.run import (
    device_count,
    entry_points,
    not_runnable,
    parameter_file,
    run_function,
)
from placement.e2e.storage import stored_bytes


@dataclass
class RunOutcome:
    """One entry point run on both programs."""

    function: str
    equal: bool
    error: str = ""  # the first error line of a failed run


@dataclass
class Verification:
    """What the real compiler and runtime say about one unified module."""

    before: Compiled
    after: Compiled
    runnable: str  # "" when runnable here, else why not
    runs: list[RunOutcome] = field(default_factory=list)

    @property
    def bytes_before(self) -> dict[str, int]:
        return stored_bytes(self.before.after_stream) if self.before.stream.ok else {}

    @property
    def bytes_after(self) -> dict[str, int]:
        return stored_bytes(self.after.after_stream) if self.after.stream.ok else {}

    @property
    def compiles_as_input(self) -> bool:
        """The unified module compiles wherever the input does."""
        return self.after.ok or not self.before.ok

    @property
    def runs_equal(self) -> bool | None:
        """All entry points give identical bits (None: nothing was run)."""
        if not self.runs:
            return None
        return all(r.equal for r in self.runs)

    @property
    def ok(self) -> bool:
        return self.compiles_as_input and self.runs_equal is not False

    def lines(self) -> list[str]:
        """A short human-readable report."""
        def status(c: Compiled) -> str:
            return "compiles" if c.ok else "FAILS: " + c.first_error()
        out = [f"un-unified: {status(self.before)}", f"unified:    {status(self.after)}"]
        b, a = sum(self.bytes_before.values()), sum(self.bytes_after.values())
        if self.before.stream.ok and self.after.stream.ok:
            drop = f" ({100 * (b - a) / b:.1f} % less)" if b else ""
            out.append(f"stored bytes of encoded weights after the stream pipeline: "
                       f"{b:,} -> {a:,}{drop}")
            for aff in sorted(set(self.bytes_before) | set(self.bytes_after)):
                out.append(f"  {aff}: {self.bytes_before.get(aff, 0):,} -> "
                           f"{self.bytes_after.get(aff, 0):,}")
        if self.runnable:
            out.append(f"not run: {self.runnable}")
        for r in self.runs:
            verdict = "bit-identical" if r.equal else "DIFFERENT"
            out.append(f"run @{r.function}: {r.error or verdict}")
        return out


def verify(original: str, unified: str, target_flags: tuple[str, ...] = ()) -> Verification:
    """Compile both modules; when both compile and this CPU can run them, run every entry point
    on seeded inputs and parameters and compare the outputs bit for bit."""
    before = compile_stream_module(original, target_flags)
    after = compile_stream_module(unified, target_flags)
    why = not_runnable(original)
    result = Verification(before, after, why)
    if why or not before.ok or not after.ok:
        return result
    params = parameter_file(original)
    devices = device_count(original)
    for entry in entry_points(original):
        ref, ref_out = run_function(before.vmfb, entry, params, devices)
        got, got_out = run_function(after.vmfb, entry, params, devices)
        if not ref.ok:
            result.runs.append(RunOutcome(entry.name, False,
                                          "un-unified run failed: " + ref.first_error()))
        elif not got.ok:
            result.runs.append(RunOutcome(entry.name, False,
                                          "unified run failed: " + got.first_error()))
        else:
            result.runs.append(RunOutcome(entry.name, ref_out == got_out and all(ref_out)))
    return result
