"""`placement.e2e.tools.run_tool`: concurrent runs of one command do not disturb each other."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from placement.e2e import tools


def test_two_runs_of_the_same_command_at_once_each_get_their_output(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two test runs on one machine ran the same compile at once in one shared work directory:
    the second run's set-up deleted the first one's files, and the first stored "exit 0, no
    output" in the cache. Each run now has a directory of its own."""
    tool = tmp_path / "slowtool"
    # Reads its input after a pause (the window where a second run used to wipe the
    # directory), then writes the output the caller asked for.
    tool.write_text("#!/bin/sh\nsleep 0.5\ncat in.txt > out.bin\n")
    tool.chmod(0o755)
    monkeypatch.setattr(tools, "tool_path", lambda name: str(tool))
    monkeypatch.setenv("PLACEMENT_E2E_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    results: list[tools.ToolResult] = []

    def one() -> None:
        results.append(tools.run_tool("slowtool", [], {"in.txt": b"payload"}, ("out.bin",)))

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [(r.returncode, r.outputs) for r in results] == [(0, {"out.bin": b"payload"})] * 2
    cached = tools.run_tool("slowtool", [], {"in.txt": b"payload"}, ("out.bin",))
    assert cached.outputs == {"out.bin": b"payload"}
