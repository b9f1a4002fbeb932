"""Byte sizes of encoded tensors (host-side `stream.tensor.sizeof`) and encoding/shape fit.

`byte_size(T, k)` follows spec section 12.4: dense bytes with packed i2/i4, one byte per i1 and
per other sub-byte width, complex twice its element; `#iree_encoding.padding<[...]>` pads each
dim; other encodings use the dense size (a hook can refine them). `fits(T, k)` says whether an
encoding can describe a tensor of that type at all (rank and indexing maps), which is the safety
rule IREE 3.13's GPU resolver breaks.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from placement.ir.attributes import (
    AffineMap,
    Array,
    Bare,
    ComplexType,
    DialectAttr,
    Integer,
    ShapedType,
    Typed,
    Value,
)

IDENTITY = DialectAttr("iree_encoding.identity", None)

# A caller-supplied refinement: (type, encoding) -> bytes, or None to use the default rule.
SizeHint = Callable[[ShapedType, Value | None], int | None]

_INT_RE = re.compile(r"^(?:i|si|ui)(\d+)$")
_FLOAT_BITS = {"f16": 16, "bf16": 16, "f32": 32, "f64": 64, "f80": 80, "f128": 128,
               "tf32": 32, "index": 64}


class SizeError(ValueError):
    """The type has no host-side size (e.g. `tensor<3xi2>`: packed bits not a whole byte)."""


def element_bits(element: Value) -> int:
    """Bit width of a scalar element type (complex counts both parts)."""
    if isinstance(element, ComplexType):
        return 2 * element_bits(element.element)
    if isinstance(element, Bare):
        name = element.name
        m = _INT_RE.match(name)
        if m:
            return int(m.group(1))
        if name in _FLOAT_BITS:
            return _FLOAT_BITS[name]
        if name.startswith("f8"):
            return 8
        if name.startswith("f6"):
            return 6
        if name.startswith("f4"):
            return 4
    raise SizeError(f"unknown element type '{element}'")


def _storage(count: int, element: Value) -> int:
    if isinstance(element, ComplexType):
        return 2 * _storage(count, element.element)
    bits = element_bits(element)
    if bits >= 8:
        return count * math.ceil(bits / 8)
    if bits in (2, 4):
        total = count * bits
        if total % 8:
            raise SizeError(f"{count} elements of {bits} bits do not fill whole bytes")
        return total // 8
    return count  # i1 and other sub-byte widths: one byte each


def dense_bytes(t: ShapedType, dynamic_dim: int = 1) -> int:
    """`D(T)`: the size without encoding; dynamic dims take `dynamic_dim`."""
    count = math.prod(dynamic_dim if d is None else d for d in t.shape)
    return _storage(count, t.element)


def byte_size(t: ShapedType, encoding: Value | None, dynamic_dim: int = 1,
              hint: SizeHint | None = None) -> int:
    """`B(T, k)` of spec 12.4."""
    if hint is not None:
        hinted = hint(t, encoding)
        if hinted is not None:
            return hinted
    if isinstance(encoding, DialectAttr) and encoding.name == "iree_encoding.padding":
        pads = padding_amounts(encoding)
        if pads is not None and len(pads) == t.rank:
            dims = [(dynamic_dim if d is None else d) + p for d, p in zip(t.shape, pads,
                                                                             strict=True)]
            return _storage(math.prod(dims), t.element)
    return dense_bytes(t, dynamic_dim)


def padding_amounts(encoding: DialectAttr) -> list[int] | None:
    """The per-dim paddings of `#iree_encoding.padding<[p0, p1, ...]>`."""
    for p in encoding.positional():
        if isinstance(p, Array):
            out = []
            for item in p.items:
                item = item.value if isinstance(item, Typed) else item
                if not isinstance(item, Integer):
                    return None
                out.append(item.value)
            return out
    return None


def operand_map(encoding: DialectAttr) -> AffineMap | None:
    """The indexing map of the encoded operand of an `#iree_encoding.encoding` (the last map
    when the entry is a list: `[#map2, #map3]` broadcasts through #map3)."""
    index = encoding.param("operand_index")
    if isinstance(index, Typed):
        index = index.value
    maps = encoding.param("user_indexing_maps")
    if not isinstance(index, Integer) or not isinstance(maps, Array):
        return None
    if not 0 <= index.value < len(maps.items):
        return None
    entry = maps.items[index.value]
    if isinstance(entry, Array):
        entry = entry.items[-1] if entry.items else entry
    return entry if isinstance(entry, AffineMap) else None


def _composed(encoding: DialectAttr) -> bool:
    index = encoding.param("operand_index")
    index = index.value if isinstance(index, Typed) else index
    maps = encoding.param("user_indexing_maps")
    return (isinstance(index, Integer) and isinstance(maps, Array)
            and 0 <= index.value < len(maps.items) and isinstance(maps.items[index.value], Array))


def fits(t: ShapedType, encoding: Value | None) -> tuple[bool, str]:
    """Whether `encoding` can be the encoding of a tensor of type `t`, and why not."""
    if encoding is None or not isinstance(encoding, DialectAttr):
        return True, ""
    if encoding.name == "iree_encoding.padding":
        pads = padding_amounts(encoding)
        if pads is not None and len(pads) != t.rank:
            return False, f"padding of rank {len(pads)} on a rank-{t.rank} tensor"
        return True, ""
    if encoding.name == "iree_encoding.encoding":
        amap = operand_map(encoding)
        if amap is None:
            return True, ""
        if amap.num_results != t.rank:
            return False, (f"encoding for a rank-{amap.num_results} operand on a rank-{t.rank} "
                           "tensor")
        sizes = encoding.param("iteration_sizes")
        if isinstance(sizes, Array) and not _composed(encoding):
            for i, dim in enumerate(t.shape):
                pos = amap.result_dim(i)
                if dim is None or pos is None or pos >= len(sizes.items):
                    continue
                size = sizes.items[pos]
                if isinstance(size, Integer) and size.value != dim:
                    return False, (f"iteration size {size.value} does not match dim {i} "
                                   f"({dim}) of the tensor")
        return True, ""
    return True, ""
