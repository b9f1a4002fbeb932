"""Unified encodings for globals: IREE's UnifyEncodingForGlobals and a cost-optimal, safe
choice (analysis, policies, rewrite, report, CLI)."""
