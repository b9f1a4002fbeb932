"""CLI commands that live outside `placement.cli` (registered there)."""
