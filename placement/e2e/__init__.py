"""End-to-end check of unified encodings: continue a stream-level module to a `.vmfb` with the
real compiler, run it with the real runtime, compare with the un-unified program (issue 11)."""
