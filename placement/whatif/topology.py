"""The module's device topology (`stream.topology = #hal.device.topology<links = [...]>` on
the module, IREE's `HAL_DeviceTopologyAttr`) as whatif edits it.

A link is `(@from -> @to = {flags}, {extra properties})`; IREE knows the flags
`unified_memory` and `transparent_access` and keeps any extra property. `add_device` links
write their cost weight there as the extra property `placement.weight = N : i64` (iree-opt
3.13 accepts and re-prints it), so the edited module carries them; `remove_device` drops the
links that name the removed device.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from placement.ir.core import Module
from placement.ir.rewrite import Rewriter

ATTR = "stream.topology"
WEIGHT = "placement.weight"
_LINK = re.compile(r"\(\s*@([\w$.\-]+)\s*->\s*@([\w$.\-]+)\s*=\s*\{([^{}]*)\}"
                   r"\s*(?:,\s*\{([^{}]*)\})?\s*\)")
_WEIGHT = re.compile(re.escape(WEIGHT) + r"\s*=\s*[^,}]*,?\s*")


@dataclass
class Link:
    """One directed link: device symbols without '@', flags and extra properties as text."""

    source: str
    target: str
    flags: str = ""
    extra: str = ""

    def text(self) -> str:
        """The link as `#hal.device.topology` spells it."""
        out = f"(@{self.source} -> @{self.target} = {{{self.flags.strip()}}}"
        if self.extra.strip():
            out += f", {{{self.extra.strip()}}}"
        return out + ")"


def links(module: Module) -> list[Link]:
    """The links of the module's topology, in order (none without one)."""
    text = module.root.attr(ATTR)
    if text is None:
        return []
    return [Link(*m.groups(default="")) for m in _LINK.finditer(module.resolve_attribute(text))]


def with_weight(link: Link, weight: int) -> Link:
    """The link with its `placement.weight` set (other extra properties kept)."""
    rest = _WEIGHT.sub("", link.extra).strip().rstrip(",").strip()
    extra = f"{WEIGHT} = {weight} : i64" + (f", {rest}" if rest else "")
    return Link(link.source, link.target, link.flags, extra)


def write(rw: Rewriter, found: list[Link]) -> None:
    """Set the module's topology to `found` (removed when empty)."""
    text = None
    if found:
        text = "#hal.device.topology<links = [" + ", ".join(x.text() for x in found) + "]>"
    rw.set_attribute(rw.module.root, ATTR, text)


def edited(module: Module, weights: dict[tuple[str, str], int], removed: list[str]) -> list[Link]:
    """The module's links with `weights` set on (or added as) the links of those device pairs,
    and every link naming a `removed` device (symbols without '@') dropped."""
    out = [x for x in links(module) if x.source not in removed and x.target not in removed]
    for (src, dst), weight in weights.items():
        for i, x in enumerate(out):
            if (x.source, x.target) == (src, dst):
                out[i] = with_weight(x, weight)
                break
        else:
            out.append(with_weight(Link(src, dst), weight))
    return out
