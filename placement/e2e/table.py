"""The issue-11 table: per module, whether the unified module compiles where the input does,
whether it runs bit-identical, and the stored bytes of encoded weights after the stream
pipeline before and after (`python -m placement.e2e.table [--policy P]`)."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from placement.e2e.pipeline import Compiled
from placement.e2e.verify import Verification, verify


def row(name: str, v: Verification) -> str:
    """One markdown table row."""
    def comp(ok: bool, c: Compiled) -> str:
        return "yes" if ok else "no: " + c.first_error()[:90]
    compiles = f"{comp(v.before.ok, v.before)} / {comp(v.after.ok, v.after)}"
    why = v.runnable or ("input does not compile" if not v.before.ok
                         else "unified does not compile")
    runs = {None: "not run: " + why, True: "yes", False: "NO"}[v.runs_equal]
    b, a = sum(v.bytes_before.values()), sum(v.bytes_after.values())
    drop = f"{100 * (b - a) / b:.1f} %" if b and v.after.stream.ok else "-"
    return f"| {name} | {compiles} | {runs} | {b:,} | {a:,} | {drop} |"


def table(modules: Iterable[tuple[str, str]], policy: str = "optimal") -> str:
    """The table for (name, stream-level module text) pairs under one unify policy."""
    from placement.encoding.unify import rewritten, unify_module
    from placement.ir import load

    lines = ["| module | compiles (input / unified) | runs equal | bytes before | "
             "bytes after | drop |", "|---|---|---|---|---|---|"]
    for name, text in modules:
        unified = rewritten(unify_module(load(text, name), policy))
        lines.append(row(name, verify(text, unified)))
    return "\n".join(lines)


def corpus_modules(shared: Path) -> list[tuple[str, str]]:
    """The five shared stream modules and every module the recipes build from `src/`."""
    from placement.e2e.recipes import COMPILE_ONLY_TARGETS, RUNNABLE_TARGETS, build_stream_module

    stream = shared / "corpus" / "stream"
    out = [(p.stem, p.read_text()) for p in sorted(stream.glob("*.mlir"))]
    for src in sorted((stream / "src").glob("*.mlir")):
        for target in RUNNABLE_TARGETS + COMPILE_ONLY_TARGETS:
            text, error = build_stream_module(src.read_text(), target)
            if not error:
                out.append((f"{src.stem} ({target.name})", text))
    return out


def main(argv: list[str]) -> None:
    """Print the table for the shared corpus (`--policy iree|optimal`)."""
    policy = argv[argv.index("--policy") + 1] if "--policy" in argv else "optimal"
    shared = Path(__file__).resolve().parents[2].parent / "shared"
    print(table(corpus_modules(shared), policy))


if __name__ == "__main__":
    main(sys.argv[1:])
