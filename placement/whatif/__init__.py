"""`placement whatif`: scenario files, edits on the IR, re-solve, diff report (docs/whatif.md)."""
