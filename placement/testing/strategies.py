"""Hypothesis strategies over generated modules.

`modules()` draws a seed and size parameters and returns the module text; the drawn
parameters are reported with `hypothesis.note`, so a failing example can be regenerated with
`generate_module(seed, n_ops=..., n_devices=..., features=...)`.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import note
from hypothesis import strategies as st

from placement.testing.generate import ALL_FEATURES, FEATURES, generate_module


@dataclass(frozen=True)
class ModuleCase:
    """Drawn generator parameters and the module they produce."""

    seed: int
    n_ops: int
    n_devices: int
    features: frozenset[str]
    text: str

    def __repr__(self) -> str:
        feats = "None" if self.features == ALL_FEATURES else repr(sorted(self.features))
        return (f"generate_module({self.seed}, n_ops={self.n_ops}, n_devices={self.n_devices}, "
                f"features={feats})")


def feature_sets(min_size: int = 0) -> st.SearchStrategy[frozenset[str]]:
    """Subsets of the generator features (shrinks towards all features)."""
    dropped = st.lists(st.sampled_from(FEATURES), unique=True, max_size=len(FEATURES) - min_size)
    return dropped.map(lambda drop: ALL_FEATURES - frozenset(drop))


@st.composite
def module_cases(draw: st.DrawFn, *, max_ops: int = 80, min_devices: int = 2,
                 max_devices: int = 16,
                 features: frozenset[str] | None = None) -> ModuleCase:
    """A `ModuleCase`: seed, sizes, features (drawn unless given) and the module text."""
    seed = draw(st.integers(min_value=0, max_value=2**32 - 1), label="seed")
    n_ops = draw(st.integers(min_value=1, max_value=max_ops), label="n_ops")
    n_devices = draw(st.integers(min_value=min_devices, max_value=max_devices),
                     label="n_devices")
    feats = features if features is not None else draw(feature_sets(), label="features")
    text = generate_module(seed, n_ops=n_ops, n_devices=n_devices, features=feats)
    case = ModuleCase(seed, n_ops, n_devices, frozenset(feats), text)
    note(repr(case))
    return case


def modules(*, max_ops: int = 80, min_devices: int = 2, max_devices: int = 16,
            features: frozenset[str] | None = None) -> st.SearchStrategy[str]:
    """Text of generated flow-level modules (valid for iree-opt and our parser)."""
    return module_cases(max_ops=max_ops, min_devices=min_devices, max_devices=max_devices,
                        features=features).map(lambda case: case.text)
