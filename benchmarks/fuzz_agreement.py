"""Agreement of `placement` with iree-opt 3.13 on seeded mutants of the goldens and corpus.

For each mutant class: how many mutants both accept, both reject, iree-opt accepts and we
reject (false rejections: bugs), iree-opt rejects for a reason our parser/verifier covers and we
accept (missed errors), iree-opt rejects for a semantic reason we do not check (types, op
verifiers) and we accept (expected), and our internal errors (bugs). The agreement rate is
(both accept + both reject) / all, overall and over the mutants whose iree-opt verdict is one
we claim to reproduce (accepted, or rejected for a covered reason).

    PYTHONPATH=. .venv/bin/python benchmarks/fuzz_agreement.py --count 2000 [--examples 5]
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from fuzz_support import INPUTS  # noqa: E402

from placement.testing.agreement import ACCEPTED, iree_reason, our_verdict  # noqa: E402
from placement.testing.iree_batch import run_batch  # noqa: E402
from placement.testing.mutate import KINDS, mutant_set  # noqa: E402

COLUMNS = ("both_accept", "both_reject", "false_reject", "missed_covered", "missed_semantic",
           "internal", "iree_crash")


def classify(ours_status: str, iree_accepted: bool, iree_error: str | None,
             crashed: bool) -> str:
    """The column of one mutant."""
    if ours_status not in (ACCEPTED, "rejected"):
        return "internal"
    if crashed:
        return "iree_crash"
    if iree_accepted:
        return "both_accept" if ours_status == ACCEPTED else "false_reject"
    if ours_status != ACCEPTED:
        return "both_reject"
    return "missed_" + iree_reason(iree_error or "")


def main() -> None:
    """Print the agreement table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--examples", type=int, default=3, help="examples shown per bad column")
    args = ap.parse_args()
    t0 = time.time()
    mutants = [(n, m) for n, m in mutant_set(INPUTS, args.count) if m.text is not None]
    ours = [our_verdict(m.text or "", f"{n}") for n, m in mutants]
    t1 = time.time()
    iree = run_batch([m.text or "" for _, m in mutants], [])
    t2 = time.time()
    table: dict[str, collections.Counter[str]] = {k: collections.Counter() for k in KINDS}
    examples: dict[str, list[str]] = collections.defaultdict(list)
    for (name, m), o, v in zip(mutants, ours, iree, strict=True):
        col = classify(o.status, v.accepted, v.error, v.crashed)
        table[m.kind][col] += 1
        if col in ("false_reject", "missed_covered", "internal", "iree_crash"):
            examples[col].append(f"{name}: {m!r}\n      ours: {o.status} {o.message}\n"
                                 f"      iree-opt: {v.error or 'accepted'}")
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
