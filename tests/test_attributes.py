"""The lark grammar for MLIR attribute and type values (placement.ir.attributes)."""

from __future__ import annotations

import pytest
from unify_support import CORPUS, GOLDEN

from placement.diagnostics import PlacementError
from placement.ir.attributes import (
    AffineMap,
    Array,
    AttributeParser,
    Bare,
    ComplexType,
    DialectAttr,
    DialectType,
    Dictionary,
    Dynamic,
    Flags,
    Float,
    Group,
    Integer,
    Param,
    Scoped,
    ShapedType,
    Star,
    String,
    SymbolRef,
    Typed,
    parse_attribute,
)
from placement.ir.parser import parse


def test_tensor_types() -> None:
    t = parse_attribute("tensor<4096x?xf32, #iree_encoding.identity>")
    assert t == ShapedType("tensor", (4096, None), Bare("f32"),
                           DialectAttr("iree_encoding.identity"))
    assert isinstance(t, ShapedType) and t.rank == 2
    assert parse_attribute("tensor<f32>") == ShapedType("tensor", (), Bare("f32"))
    assert parse_attribute("tensor<3xcomplex<f32>>") == ShapedType(
        "tensor", (3,), ComplexType(Bare("f32")))
    nested = parse_attribute("tensor<4xf32, #iree_encoding.specialized<1, tensor<4xf32>>>")
    assert isinstance(nested, ShapedType)
    assert nested.encoding == DialectAttr("iree_encoding.specialized", (
        Integer(1), ShapedType("tensor", (4,), Bare("f32"))))


def test_dialect_attributes_and_params() -> None:
    assert parse_attribute('#stream.parameter.named<"model"::"w">') == DialectAttr(
        "stream.parameter.named", (Scoped((String("model"), String("w"))),))
    assert parse_attribute("#hal.device.affinity<@d, [0]>") == DialectAttr(
        "hal.device.affinity", (SymbolRef(("d",)), Array((Integer(0),))))
    gpu = parse_attribute('#iree_gpu.target<arch = "gfx942", wgp = <compute = fp64|fp32, '
                          'mma = [<MFMA_F32_16x16x16_BF16>]>>')
    assert isinstance(gpu, DialectAttr)
    assert gpu.param("arch") == String("gfx942")
    assert gpu.param("wgp") == Group((Param("compute", Flags(("fp64", "fp32"))), Param(
        "mma", Array((Group((Bare("MFMA_F32_16x16x16_BF16"),)),)))))
    # `<>` and no parameters are the same attribute.
    assert parse_attribute("#iree_encoding.identity_resolver<>") == \
        parse_attribute("#iree_encoding.identity_resolver")
    assert parse_attribute("!stream.resource<*>") == DialectType("stream.resource", (Star(),))
    assert parse_attribute("@ex::@entry") == SymbolRef(("ex", "entry"))


def test_builtins() -> None:
    assert parse_attribute("affine_map<(m, n, k)[s0] -> (m, k + s0)>") == AffineMap(
        ("m", "n", "k"), ("s0",), ("m", "k + s0"))
    dense = parse_attribute("dense<0.0> : tensor<4xf32>")
    assert isinstance(dense, Typed) and dense.type == ShapedType("tensor", (4,), Bare("f32"))
    assert parse_attribute("1 : index") == Typed(Integer(1), Bare("index"))
    assert parse_attribute("-2.5e1") == Float(-25.0)
    assert parse_attribute("?") == Dynamic()


def test_dictionaries_are_sorted_and_structural() -> None:
    a = parse_attribute('{b = 1 : i64, a, "c d" = 1.5e3}')
    b = parse_attribute('{a, "c d" = 1500.0, b = 1 : i64}')
    assert a == b
    assert isinstance(a, Dictionary)
    assert [k for k, _ in a.entries] == ["a", "b", "c d"]
    assert a.get("a") == Bare("unit")
    assert hash(a) == hash(b)


def test_aliases_resolve_through_the_module() -> None:
    module = parse("""
#map = affine_map<(d0) -> (d0)>
#enc = #iree_encoding.encoding<operand_index = 0 : index, user_indexing_maps = [#map]>
#other = #iree_encoding.encoding<operand_index = 0 : index,
    user_indexing_maps = [affine_map<(d0) -> (d0)>]>
util.global private @x : index
""")
    p = AttributeParser(module)
    assert p.parse("#enc") == p.parse("#other")
    enc = p.parse("tensor<4xf32, #enc>")
    assert isinstance(enc, ShapedType) and isinstance(enc.encoding, DialectAttr)
    maps = enc.encoding.param("user_indexing_maps")
    assert maps == Array((AffineMap(("d0",), (), ("d0",)),))


def test_bad_text_is_a_located_error() -> None:
    with pytest.raises(PlacementError) as info:
        parse_attribute("tensor<4xf32")
    assert "cannot parse" in info.value.render()


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.mlir")) + [GOLDEN],
                         ids=lambda p: p.stem)
def test_every_alias_of_the_shared_material_parses(path: object) -> None:
    from pathlib import Path
    assert isinstance(path, Path)
    for chunk in path.read_text().split("\n// -----\n"):
        module = parse(chunk, str(path))
        p = AttributeParser(module)
        for name in module.attribute_aliases:
            assert not isinstance(p.parse(name), DialectAttr) or p.parse(name).params != ()


def test_typed_access_and_located_errors() -> None:
    from placement.diagnostics import PlacementError
    from placement.ir import load

    text = ("#d = #hal.device.promise<@g>\n"
            "util.global private @g = dense<7> : tensor<1xi64>\n"
            "util.global private @h {stream.affinity = #d} : tensor<1xi64>\n")
    module = load(text, "m.mlir")
    g, h = module.top_level_ops()
    value = h.attr_value("stream.affinity", module)
    assert isinstance(value, DialectAttr) and str(value) == "#hal.device.promise<@g>"
    assert h.attr_value("absent", module) is None
    # A 5,000-digit integer is rejected while parsing, where and as iree-opt 3.13 rejects it
    # (`1:32: error: integer constant out of range for type` for this line alone), without
    # converting it (Python's 4,300-digit limit).
    big = text.replace("dense<7>", "dense<" + "9" * 5000 + ">")
    with pytest.raises(PlacementError) as err:
        load(big, "m.mlir")
    assert err.value.render().startswith(
        "m.mlir:2:32: error: integer constant out of range for type")
