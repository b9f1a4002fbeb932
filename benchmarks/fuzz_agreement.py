"""Agreement of `placement` with iree-opt 3.13 on seeded mutants of the goldens and corpus.

For each mutant class: how many mutants both accept, both reject, iree-opt accepts and we
reject (false rejections: bugs), iree-opt rejects for a reason our parser/verifier covers and we
accept (missed errors), iree-opt rejects for a semantic reason we do not check (types, op
verifiers) and we accept (expected), iree-opt rejects at a position inside an executable body
that we keep verbatim and we accept (`missed_opaque`: a body holding ops the op table does not
know is skimmed by bracket matching by design, so nothing in it is checked; see
docs/architecture.md), and our internal errors (bugs). The agreement rate is (both accept +
both reject) / all, overall and over the mutants whose iree-opt verdict is one we claim to
reproduce (accepted, or rejected for a covered reason outside a verbatim body).

    PYTHONPATH=. .venv/bin/python benchmarks/fuzz_agreement.py --count 2000 [--examples 5]
        [--iree-cache out/iree_verdicts.json]

`--iree-cache` keeps iree-opt's verdicts by mutant text (they do not change between runs of
one iree-opt), so that a re-run after a parser change only runs ours.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from fuzz_support import INPUTS  # noqa: E402

from placement.testing.agreement import (  # noqa: E402
    ACCEPTED,
    in_opaque_body,
    iree_reason,
    our_verdict,
)
from placement.testing.iree_batch import Verdict, run_batch  # noqa: E402
from placement.testing.mutate import KINDS, mutant_set  # noqa: E402

COLUMNS = ("both_accept", "both_reject", "false_reject", "missed_covered", "missed_semantic",
           "missed_opaque", "internal", "iree_crash")


def classify(ours_status: str, iree_accepted: bool, iree_error: str | None,
             crashed: bool, opaque: bool = False) -> str:
    """The column of one mutant (`opaque`: iree-opt's error is inside a body kept verbatim)."""
    if ours_status not in (ACCEPTED, "rejected"):
        return "internal"
    if crashed:
        return "iree_crash"
    if iree_accepted:
        return "both_accept" if ours_status == ACCEPTED else "false_reject"
    if ours_status != ACCEPTED:
        return "both_reject"
    if opaque:
        return "missed_opaque"
    return "missed_" + iree_reason(iree_error or "")


def _iree_verdicts(texts: list[str], cache_path: Path | None) -> list[Verdict]:
    """iree-opt's verdict on each text, from `cache_path` where it has one."""
    keys = [hashlib.sha256(t.encode("utf-8", "surrogatepass")).hexdigest() for t in texts]
    cache: dict[str, dict[str, object]] = {}
    if cache_path is not None and cache_path.exists():
        cache = json.loads(cache_path.read_text())
    todo = [i for i, k in enumerate(keys) if k not in cache]
    for i, v in zip(todo, run_batch([texts[i] for i in todo], []), strict=True):
        cache[keys[i]] = {"error": v.error, "crashed": v.crashed, "line": v.line,
                          "col": v.col}
    if cache_path is not None and todo:
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        cache_path.write_text(json.dumps(cache, sort_keys=True))
    out = []
    for k in keys:
        c = cache[k]
        out.append(Verdict(None, c["error"], bool(c["crashed"]),  # type: ignore[arg-type]
                           c["line"], c["col"]))  # type: ignore[arg-type]
    return out


def main() -> None:
    """Print the agreement table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--examples", type=int, default=3, help="examples shown per bad column")
    ap.add_argument("--iree-cache", type=Path, help="JSON file of iree-opt verdicts by text")
    args = ap.parse_args()
    t0 = time.time()
    mutants = [(n, m) for n, m in mutant_set(INPUTS, args.count) if m.text is not None]
    ours = [our_verdict(m.text or "", f"{n}") for n, m in mutants]
    t1 = time.time()
    iree = _iree_verdicts([m.text or "" for _, m in mutants], args.iree_cache)
    t2 = time.time()
    table: dict[str, collections.Counter[str]] = {k: collections.Counter() for k in KINDS}
    examples: dict[str, list[str]] = collections.defaultdict(list)
    for (name, m), o, v in zip(mutants, ours, iree, strict=True):
        opaque = (o.status == ACCEPTED and not v.accepted and not v.crashed and
                  in_opaque_body(m.text or "", v.line, v.col))
        col = classify(o.status, v.accepted, v.error, v.crashed, opaque)
        table[m.kind][col] += 1
        if col in ("false_reject", "missed_covered", "missed_opaque", "internal",
                   "iree_crash"):
            where = f"{v.line}:{v.col}: " if v.line is not None else ""
            examples[col].append(f"{name}: {m!r}\n      ours: {o.status} {o.message}\n"
                                 f"      iree-opt: {where}{v.error or 'accepted'}")
    print(f"{len(mutants)} mutants of {len(INPUTS)} inputs; ours {t1 - t0:.1f} s, "
          f"iree-opt {t2 - t1:.1f} s")
    print(f"{'class':12} " + " ".join(f"{c:>15}" for c in COLUMNS))
    total: collections.Counter[str] = collections.Counter()
    for kind in KINDS:
        if table[kind]:
            print(f"{kind:12} " + " ".join(f"{table[kind][c]:>15}" for c in COLUMNS))
            total.update(table[kind])
    print(f"{'all':12} " + " ".join(f"{total[c]:>15}" for c in COLUMNS))
    agree = total["both_accept"] + total["both_reject"]
    claimed = agree + total["false_reject"] + total["missed_covered"] + total["internal"]
    n = sum(total.values())
    print(f"agreement: {agree}/{n} = {100 * agree / max(n, 1):.1f}% of all mutants; "
          f"{agree}/{claimed} = {100 * agree / max(claimed, 1):.1f}% of those whose iree-opt "
          "verdict we claim to reproduce (accepted, or rejected for a covered reason)")
    for col, lines in sorted(examples.items()):
        print(f"\n{col}: {len(lines)}")
        for line in lines[: args.examples]:
            print("  " + line)


if __name__ == "__main__":
    main()
