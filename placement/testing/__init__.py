"""Test and benchmark support: seeded generators of valid flow-level MLIR modules."""
