"""placement: affinity analysis and encoding placement for multi-device IREE programs."""

import os as _os
from importlib.machinery import EXTENSION_SUFFIXES as _SUFFIXES

__version__ = "0.1.0"

# The optional mypyc build (docs/mypyc.md): a compiled placement.ops must load after
# placement.ir.core, or its CallFlow dataclass reads a null Operation type and the process
# segfaults (mypyc/mypyc#1209). One stat; nothing is imported in the pure build.
if _os.path.exists(_os.path.join(_os.path.dirname(__file__), "ops" + _SUFFIXES[0])):
    import placement.ir.core  # noqa: F401
