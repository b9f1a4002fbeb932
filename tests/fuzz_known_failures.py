"""Cases of the layout and mutation tests that still fail on the merged parser (strict xfails).

Each entry names its bug on the parser bug board (BUGS-parser.md, fuzz-N). Remove an entry when
its bug is fixed: a strict xfail that passes fails the suite, so a stale entry cannot hide.
Empty since wip-parser fixed fuzz-4 .. fuzz-9 (see the board).
"""

from __future__ import annotations

KNOWN_FAILURES: dict[str, str] = {}
