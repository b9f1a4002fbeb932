"""Custom directives of op formats (`custom<Name>(...)` in `placement.ops.FORMATS`).

Each directive is a small class with `parse` (over the parser's tokens, binding operands,
types, attributes and regions into the op's `OpState`) and `print` (from a `PrintState`).
They transcribe the custom syntax of IREE's and MLIR's ops: symbol visibility, shaped
function types with ties (`-> %x`), resource regions, function signatures, scf loops, ...
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from placement.ir.core import symbol_of, symbol_ref
from placement.ir.format import OpState, PrintState
from placement.ir.lexer import split_top_level

if TYPE_CHECKING:
    from placement.ir.core import Value
    from placement.ir.parser import ArgDecl, Parser
    from placement.ir.printer import Out

Args = list[tuple[str, str]]


def _names(args: Args) -> list[str]:
    return [name for _, name in args]


def _bind(p: Parser, st: OpState, group: str) -> Value:
    st.operand_offsets.setdefault(group, []).append(p.offset())
    value = p.parse_operand()
    st.operands.setdefault(group, []).append(value)
    return value


def _bind_type(p: Parser, st: OpState, group: str) -> str:
    ty = p.parse_type()
    st.types.setdefault(group, []).append((ty, p.last_offset))
    return ty


def _dims(p: Parser, st: OpState, group: str) -> None:
    """An optional `{%a, %b}` list of dims/sizes (not a region: values only)."""
    if not p.at_dims():
        return
    p.expect("{")
    if not p.accept("}"):
        while True:
            _bind(p, st, group)
            if not p.accept(","):
                break
        p.expect("}")


def _touch(st: OpState, *groups: str) -> None:
    for group in groups:
        st.operands.setdefault(group, [])
        st.operand_offsets.setdefault(group, [])


def _tied_list(st: PrintState, operands: list[Value], results: list[Any],
               sizes: list[Value] | None) -> str:
    """`T{%s}` / `%x{%s}` / `%x as T` entries of results, parenthesized unless one plain T."""
    base = st.op.operands.index(operands[0]) if operands else 0
    items = []
    for i, r in enumerate(results):
        tied = st.op.tied.get(i)
        if tied is not None and 0 <= tied - base < len(operands):
            value = st.op.operands[tied]
            head = value.name if value.type == r.type else f"{value.name} as {r.type}"
        else:
            head = r.type
        if sizes is not None:
            n = 1 if r.type.startswith("!stream.") and not r.type.startswith(
                "!stream.timepoint") else 0
            taken, sizes[:] = sizes[:n], sizes[n:]
            if taken:
                head += "{" + ", ".join(v.name for v in taken) + "}"
        items.append(head)
    if len(items) == 1 and not items[0].startswith("%") and not items[0].startswith("("):
        return items[0]
    return "(" + ", ".join(items) + ")"


def _print_resource_args(out: Out, st: PrintState, operands: str, sizes: str,
                         region: Any) -> None:
    args = region.blocks[0].arguments if region is not None and region.blocks else []
    rest = list(st.groups.get(sizes, []))
    items = [f"{v.name} as {a.name}: {out.printer.take_dims(v.type, rest)}"
             for v, a in zip(st.groups.get(operands, []), args, strict=False)]
    out.tight()
    out.word("(" + ", ".join(items) + ")")


class Directive:
    """Base: optional directives override `can_start`/`present`."""

    def can_start(self, p: Parser, st: OpState, args: Args) -> bool:
        return True

    def present(self, st: PrintState, args: Args) -> bool:
        return True

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        raise NotImplementedError

    def print(self, out: Out, st: PrintState, args: Args) -> None:
        raise NotImplementedError


class SymbolVisibility(Directive):
    """`private` / `public` / `nested` (absent: public)."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        for word in ("private", "public", "nested"):
            if p.accept(word):
                st.op.syntax_attrs[args[0][1]] = f'"{word}"'
                return

    def print(self, out: Out, st: PrintState, args: Args) -> None:
        vis = st.attrs.get(args[0][1])
        if vis is not None:
            out.word(vis.strip('"'))


class TypeOrAttr(Directive):
    """util.global: `: T`, or `= value` (typed), or `= value : T`."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        type_name, value_name = _names(args)
        attrs = st.op.syntax_attrs
        if p.accept("="):
            text, typ = p.parse_attribute("typed")
            attrs[value_name] = text
            attrs[type_name] = typ or ""
            if not typ:
                raise p.error("expected ':' and the global's type")
            return
        p.expect(":")
        attrs[type_name] = p.parse_type()

    def print(self, out: Out, st: PrintState, args: Args) -> None:
        type_name, value_name = _names(args)
        if value_name in st.attrs:
            out.punct("=")
            out.word(st.attrs[value_name])
        else:
            out.punct(":")
            out.word(st.attrs.get(type_name, ""))


class SymbolAlias(Directive):
    """`@name` or `@name as(@function)`."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        sym_name, ref = _names(args)
        text, _ = p.parse_attribute("symname")
        st.op.syntax_attrs[sym_name] = text
        name = symbol_of(text)
        st.op.symbols.append(name)
        target = name  # without `as`, the alias names the symbol itself (as IREE reads it)
        if p.accept("as"):
            p.expect("(")
            target, _ = p.parse_attribute("symref")
            p.expect(")")
            if symbol_ref(target) != name:
                st.op.symbols.append(symbol_ref(target))
        st.op.syntax_attrs[ref] = target

    def print(self, out: Out, st: PrintState, args: Args) -> None:
        sym_name, ref = _names(args)
        name = symbol_of(st.attrs.get(sym_name, '""'))
        out.word(name)
        target = st.attrs.get(ref)
        if target is not None and symbol_ref(target) != name:
            out.word("as")
            out.tight()
            out.punct("(")
            out.word(target)
            out.punct(")")


class WorkgroupCountRegion(Directive):
    """Optional `KEYWORD(%a: index, ...) -> (index, index, index) {region}` (absent: no
    block): `workgroups` of executable exports, `count` of flow.dispatch.region and
    flow.dispatch.workgroups."""

    def __init__(self, keyword: str, isolated: bool, spaced: bool = False) -> None:
        self.keyword = keyword
        self.isolated = isolated
        self.spaced = spaced  # printed with a space before, even after a `` literal

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        name = args[0][1]
        regions = st.regions.setdefault(name, [])
        if not p.accept(self.keyword):
            return
        decls = _arg_list(p)
        p.expect("->")
        p.parse_result_type_list()
        regions.append(p.parse_region(st.op, decls, self.isolated))

    def print(self, out: Out, st: PrintState, args: Args) -> None:
        regions = st.regions.get(args[0][1], [])
        if not regions or not regions[0].blocks:
            return
        out.space = out.space or self.spaced
        out.word(self.keyword)
        out.tight()
        out.block_args(regions[0])
        out.punct("->")
        out.word("(index, index, index)")
        out.region(regions[0], entry_args=False)


class DispatchWorkgroupBody(Directive):
    """flow.dispatch.workgroups: `(%arg: T, ...) {region}`, the body's arguments declared."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        start = p.offset()
        region = p.parse_region(st.op, _arg_list(p), True, st.skim)
        if region.opaque:  # unknown ops inside: the verbatim span keeps the arguments too
            region.start = start
        st.regions.setdefault(args[-1][1], []).append(region)

    def print(self, out: Out, st: PrintState, args: Args) -> None:
        for region in st.regions.get(args[-1][1], []):
            if not region.opaque:
                out.block_args(region)
            out.region(region, entry_args=False)


def _arg_list(p: Parser) -> list[ArgDecl]:
    return p.paren_list(p.parse_arg_decl)


class DispatchEntryPoints(Directive):
    """`@ex::@entry` or `{@ex::@a, @ex::@b}`."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        refs = []
        if p.accept("{"):
            while True:
                refs.append(p.parse_attribute("symref")[0])
                if not p.accept(","):
                    break
            p.expect("}")
        else:
            refs.append(p.parse_attribute("symref")[0])
        st.op.syntax_attrs[args[0][1]] = "[" + ", ".join(refs) + "]"
        st.op.symbols.extend(symbol_ref(r) for r in refs)

    def print(self, out: Out, st: PrintState, args: Args) -> None:
        refs = st.attrs.get(args[0][1], "[]")[1:-1].split(", ")
        if len(refs) == 1:
            out.word(refs[0])
        else:
            out.word("{" + ", ".join(refs) + "}")


def _tied_or_type(p: Parser, st: OpState, operands: str, index: int) -> str:
    """`%x` (tied to that operand), `%x as T`, or `T` of one result entry."""
    if p.at_value():
        off = p.offset()
        name = p.texts[p.pos]
        p.pos += 1
        values = st.operands.get(operands, [])
        match = next((i for i, v in enumerate(values) if v.name == name), None)
        if match is None:
            raise p.error_at(f"tied operand not found for result reference {name}", off)
        st.tied[index] = (name, values[match])
        if p.accept("as"):
            return p.parse_type()
        written = st.types.get(operands)
        return written[match][0] if written and match < len(written) else values[match].type
    return p.parse_type()


def _shaped_results(p: Parser, st: OpState, operands: str, results: str,
                    dims: str | None) -> None:
    """`T{%d}`, `%x{%d}`, `%x as T` or a parenthesized list of them (maybe `()`)."""
    rtypes = st.types.setdefault(results, [])
    paren = p.at("(") and not p.arrow_after_group()
    if paren:
        p.pos += 1
        if p.accept(")"):
            return
    index = 0
    while True:
        off = p.offset()
        rtypes.append((_tied_or_type(p, st, operands, index), off))
        if dims is not None:
            _dims(p, st, dims)
        index += 1
        if not paren or not p.accept(","):
            break
    if paren:
        p.expect(")")


class ShapedFunctionType(Directive):
    """`(T{%d}, T) -> (T{%d}, %x, %y as T)` (flow.dispatch, util.call-like ops)."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        names = _names(args)
        operands, operand_dims, results, result_dims = names[0], names[2], names[3], names[4]
        _touch(st, operand_dims, result_dims)
        p.expect("(")
        if not p.accept(")"):
            while True:
                _bind_type(p, st, operands)
                _dims(p, st, operand_dims)
                if not p.accept(","):
                    break
            p.expect(")")
        p.expect("->")
        _shaped_results(p, st, operands, results, result_dims)

    def print(self, out: Out, st: PrintState, args: Args) -> None:
        names = _names(args)
        out.shaped_function_type(st, names[0], names[2], names[3], names[4])


class EncodedShapedFunctionType(Directive):
    """stream.tensor.dispatch: `(T{%d} in !res{%s}, index) -> T in %x{%s}`."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        (operands, _, operand_sizes, operand_encodings, operand_encoding_dims, results,
         result_sizes, result_encodings, result_encoding_dims, _) = _names(args)
        _touch(st, operand_sizes, operand_encoding_dims, result_sizes, result_encoding_dims)
        encodings: list[str] = []
        p.expect("(")
        if not p.accept(")"):
            while True:
                enc = p.parse_type()
                off = p.last_offset
                _dims(p, st, operand_encoding_dims)
                if p.accept("in"):
                    ty = p.parse_type()
                    _dims(p, st, operand_sizes)
                else:
                    ty = enc
                encodings.append(enc)
                st.types.setdefault(operands, []).append((ty, off))
                if not p.accept(","):
                    break
            p.expect(")")
        p.expect("->")
        st.op.syntax_attrs[operand_encodings] = "[" + ", ".join(encodings) + "]"
        rtypes = st.types.setdefault(results, [])
        renc: list[str] = []
        paren = p.accept("(")
        if not (paren and p.accept(")")):
            index = 0
            while True:
                off = p.offset()
                enc = p.parse_type()
                _dims(p, st, result_encoding_dims)
                p.expect("in")
                rtypes.append((_tied_or_type(p, st, operands, index), off))
                _dims(p, st, result_sizes)
                renc.append(enc)
                index += 1
                if not paren or not p.accept(","):
                    break
            if paren:
                p.expect(")")
        st.op.syntax_attrs[result_encodings] = "[" + ", ".join(renc) + "]"

    def print(self, out: Out, st: PrintState, args: Args) -> None:
        (operands, _, operand_sizes, operand_encodings, operand_encoding_dims, results,
         result_sizes, result_encodings, result_encoding_dims, _) = _names(args)
        p = out.printer
        sizes = list(st.groups.get(operand_sizes, []))
        dims = list(st.groups.get(operand_encoding_dims, []))
        encs = split_top_level(st.attrs.get(operand_encodings, "[]")[1:-1])
        items = []
        for value, enc in zip(st.groups.get(operands, []), encs, strict=False):
            if p.n_dims(value.type) and value.type != enc:
                items.append(p.take_dims(enc, dims) + " in " + p.take_dims(value.type, sizes))
            else:
                items.append(value.type)
        out.word("(" + ", ".join(items) + ")")
        out.punct("->")
        rsizes = list(st.groups.get(result_sizes, []))
        rdims = list(st.groups.get(result_encoding_dims, []))
        group = st.groups.get(operands, [])
        base = st.op.operands.index(group[0]) if group else 0
        rencs = split_top_level(st.attrs.get(result_encodings, "[]")[1:-1])
        ritems = []
        for i, (r, enc) in enumerate(zip(st.result_groups.get(results, []), rencs,
                                         strict=False)):
            tied = st.op.tied.get(i)
            head = p.take_dims(enc, rdims) + " in "
            if tied is not None and 0 <= tied - base < len(group):
                name = st.op.operands[tied].name
                ritems.append(head + name + p.take_dims(r.type, rsizes)[len(r.type):])
            else:
                ritems.append(head + p.take_dims(r.type, rsizes))
        out.word(ritems[0] if len(ritems) == 1 else "(" + ", ".join(ritems) + ")")


class ShapedTiedResult(Directive):
    """`%x as T{%size}` or `T{%size}`: the tied result of fill/update/copy ops."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        target, size = _names(args)
        if p.at_value():
            p.pos += 1
            p.expect("as")
        _bind_type(p, st, target)
        _touch(st, size)
        _dims(p, st, size)

    def print(self, out: Out, st: PrintState, args: Args) -> None:
        target, size = _names(args)
        values = st.groups.get(target, [])
        if values:
            out.values(values)
            out.word("as")
            out.word(values[0].type)
        out.dims(st.groups.get(size, []), always=True)


def _sized_type(p: Parser, st: OpState, types: str, sizes: str) -> str:
    ty = _bind_type(p, st, types)
    _dims(p, st, sizes)
    return ty


class ResourceRegion(Directive):
    """stream.async.execute: `(%r as %x: T{%s}, ...) -> (T{%s}, %x{%s}) {region}`."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        (operands, _, operand_sizes, results, result_sizes, _, body) = _names(args)
        _touch(st, operands, operand_sizes, result_sizes)
        decls = _resource_args(p, st, operands, operand_sizes)
        if p.accept("->"):
            _shaped_results(p, st, operands, results, result_sizes)
        st.types.setdefault(results, [])
        st.regions.setdefault(body, []).append(p.parse_region(st.op, decls, False))

    def print(self, out: Out, st: PrintState, args: Args) -> None:
        (operands, _, operand_sizes, results, result_sizes, _, body) = _names(args)
        region = st.regions.get(body, [None])[0]
        _print_resource_args(out, st, operands, operand_sizes, region)
        rtypes = st.result_groups.get(results, [])
        if rtypes:
            out.punct("->")
            out.word(_tied_list(st, st.groups.get(operands, []), rtypes,
                                list(st.groups.get(result_sizes, []))))
        if region is not None:
            out.region(region, entry_args=False)


def _resource_args(p: Parser, st: OpState, operands: str, sizes: str) -> list[ArgDecl]:
    def item() -> ArgDecl:
        _bind(p, st, operands)
        p.expect("as")
        name, _, off = p.parse_arg_decl(with_type=False)
        p.expect(":")
        return name, _sized_type(p, st, operands, sizes), off

    return p.paren_list(item)


class ExplicitResourceRegion(Directive):
    """stream.cmd.execute: `(%r as %x: T{%s}, ...) {region}`."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        operands, _, sizes, body = _names(args)
        _touch(st, operands, sizes)
        decls = _resource_args(p, st, operands, sizes)
        st.regions.setdefault(body, []).append(p.parse_region(st.op, decls, False))

    def print(self, out: Out, st: PrintState, args: Args) -> None:
        operands, _, sizes, body = _names(args)
        region = st.regions.get(body, [None])[0]
        _print_resource_args(out, st, operands, sizes, region)
        if region is not None:
            out.region(region, entry_args=False)


class ShapedTypeList(Directive):
    """`T{%s}, T{%s}` (stream.yield) or with the results mirroring them (timepoint.await)."""

    def can_start(self, p: Parser, st: OpState, args: Args) -> bool:
        return p.at_type()

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        names = _names(args)
        types, sizes = names[0], names[-1]
        mirror = names[1] if len(names) == 3 else None
        _touch(st, sizes)
        while True:
            ty = _sized_type(p, st, types, sizes)
            if mirror is not None:
                st.types.setdefault(mirror, []).append((ty, p.last_offset))
            if not p.accept(","):
                break

    def print(self, out: Out, st: PrintState, args: Args) -> None:
        names = _names(args)
        out.sized_types(st.groups.get(names[0], []), st.groups.get(names[-1], []))


class PackSliceRanges(Directive):
    """`[0, 1] = %size, [1, 2] = %size,` (stream.resource.pack)."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        intervals, sizes, offsets = _names(args)
        _touch(st, sizes)
        bounds: list[str] = []
        count = 0
        while p.at("["):
            p.pos += 1
            bounds.append(p.parse_attribute("any")[0])
            p.expect(",")
            bounds.append(p.parse_attribute("any")[0])
            p.expect("]")
            p.expect("=")
            _bind(p, st, sizes)
            count += 1
            if not p.accept(","):
                break
        st.op.syntax_attrs[intervals] = "[" + ", ".join(bounds) + "]"
        st.types.setdefault(offsets, []).extend([("index", p.offset())] * count)

    def print(self, out: Out, st: PrintState, args: Args) -> None:
        intervals, sizes, _ = _names(args)
        bounds = st.attrs.get(intervals, "[]")[1:-1].split(", ")
        items = [f"[{bounds[2 * i]}, {bounds[2 * i + 1]}] = {v.name}"
                 for i, v in enumerate(st.groups.get(sizes, []))]
        out.word(", ".join(items))


class ConstantValueList(Directive):
    """`T{%s} = value : type, ...` (stream.resource.constants)."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        results, sizes, values = _names(args)
        _touch(st, sizes)
        texts = []
        while True:
            off = p.offset()
            st.types.setdefault(results, []).append((p.parse_type(), off))
            _dims(p, st, sizes)
            p.expect("=")
            texts.append(p.parse_attribute("typed")[0])
            if not p.accept(","):
                break
        st.op.syntax_attrs[values] = "[" + ", ".join(texts) + "]"

    def print(self, out: Out, st: PrintState, args: Args) -> None:
        results, sizes, values = _names(args)
        texts = split_top_level(st.attrs.get(values, "[]")[1:-1])
        rest = list(st.groups.get(sizes, []))
        out.word(", ".join(f"{out.printer.take_dims(r.type, rest)} = {t}"
                           for r, t in zip(st.result_groups.get(results, []), texts,
                                           strict=False)))


class DispatchResources(Directive):
    """`rw %r[%offset for %length] : T{%size}, ...` (stream.cmd.dispatch)."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        resources, _, sizes, offsets, lengths, accesses = _names(args)
        _touch(st, resources, sizes, offsets, lengths)
        modes = []
        while p.kinds[p.pos] == "bare" and p.texts[p.pos] in ("ro", "wo", "rw"):
            modes.append(p.texts[p.pos])
            p.pos += 1
            _bind(p, st, resources)
            p.expect("[")
            _bind(p, st, offsets)
            p.expect("for")
            _bind(p, st, lengths)
            p.expect("]")
            p.expect(":")
            _sized_type(p, st, resources, sizes)
            if not p.accept(","):
                break
        st.op.syntax_attrs[accesses] = "[" + ", ".join(modes) + "]"

    def print(self, out: Out, st: PrintState, args: Args) -> None:
        resources, _, sizes, offsets, lengths, accesses = _names(args)
        g = st.groups
        modes = st.attrs.get(accesses, "[]")[1:-1].split(", ")
        items = []
        for i, value in enumerate(g.get(resources, [])):
            items.append(f"{modes[i] if i < len(modes) else 'rw'} {value.name}"
                         f"[{g[offsets][i].name} for {g[lengths][i].name}] : {value.type}"
                         f"{{{g[sizes][i].name}}}")
        out.word(", ".join(items))


class DispatchOperands(Directive):
    """`(%a[%o to %e for %l], %n)` (stream.async.call)."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        operands, offsets, ends, lengths = _names(args)
        _touch(st, operands, offsets, ends, lengths)
        def item() -> None:
            _bind(p, st, operands)
            if p.accept("["):
                _bind(p, st, offsets)
                p.expect("to")
                _bind(p, st, ends)
                p.expect("for")
                _bind(p, st, lengths)
                p.expect("]")

        p.paren_list(item)

    def print(self, out: Out, st: PrintState, args: Args) -> None:
        operands, offsets, ends, lengths = _names(args)
        offs, es, ls = (iter(st.groups.get(g, [])) for g in (offsets, ends, lengths))
        items = []
        n_ranges = len(st.groups.get(offsets, []))
        for value in st.groups.get(operands, []):
            if n_ranges and out.printer.n_dims(value.type):
                items.append(f"{value.name}[{next(offs).name} to {next(es).name} for "
                             f"{next(ls).name}]")
                n_ranges -= 1
            else:
                items.append(value.name)
        out.tight()
        out.word("(" + ", ".join(items) + ")")


class CollectiveParam(Directive):
    """Optional `source(%p)` / `target(%p)` of stream.async.collective."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        param = args[1][1]
        _touch(st, param)
        for word in ("source", "target"):
            if p.at(word) and p.texts[p.pos + 1] == "(":
                p.pos += 2
                _bind(p, st, param)
                p.expect(")")
                return

    def print(self, out: Out, st: PrintState, args: Args) -> None:
        values = st.groups.get(args[1][1], [])
        if values:
            out.word(f"source({values[0].name})")


class TypeAlias(Directive):
    """`T` or `Tencoding as Tstorage` (hal.tensor.import/export)."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        (_, encoding), (_, group) = args
        off = p.offset()
        enc = p.parse_type()
        storage = enc
        if p.accept("as"):
            storage = p.parse_type()
        st.op.syntax_attrs[encoding] = enc
        st.types.setdefault(group, []).append((storage, off))

    def print(self, out: Out, st: PrintState, args: Args) -> None:
        (_, encoding), (_, group) = args
        values = st.groups.get(group) or st.result_groups.get(group) or []
        storage = values[0].type if values else ""
        enc = st.attrs.get(encoding, storage)
        out.word(storage if enc == storage else f"{enc} as {storage}")


class DynamicIndexList(Directive):
    """`[0, %x, 4]`: static integers and dynamic values."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        values, static = _names(args)
        _touch(st, values)
        items = []
        p.expect("[")
        if not p.accept("]"):
            while True:
                if p.at_value():
                    _bind(p, st, values)
                    items.append("-9223372036854775808")
                else:
                    items.append(p.parse_attribute("any")[0])
                if not p.accept(","):
                    break
            p.expect("]")
        st.op.syntax_attrs[static] = "array<i64" + (": " if items else "") + \
            ", ".join(items) + ">"

    def print(self, out: Out, st: PrintState, args: Args) -> None:
        values, static = _names(args)
        dynamic = iter(st.groups.get(values, []))
        text = st.attrs.get(static, "array<i64>")
        items = text[text.find(":") + 1:-1].split(",") if ":" in text else []
        out.word("[" + ", ".join(next(dynamic).name if i.strip() == "-9223372036854775808"
                                 else i.strip() for i in items) + "]")


class ResultTypes(Directive):
    """`T` or `(T, T)` of an op's results after an arrow (scf.if, func types)."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        st.types.setdefault(args[0][1], []).extend(p.parse_result_type_list())

    def print(self, out: Out, st: PrintState, args: Args) -> None:
        out.result_types([r.type for r in st.result_groups.get(args[0][1], [])])


class FunctionSignature(Directive):
    """`(%a: T {attrs}, ...) -> (T {attrs}, %a)` of func.func / util.func and the stream
    function declarations (`(T, T)` without names when there is no body; `%r[%o for %l]: T`
    sub-range arguments of stream.cmd.func). Argument names become the body's arguments."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        ftype, body = _names(args)
        start = p.pos
        p.expect("(")
        decls: list[ArgDecl] = []
        arg_types: list[str] = []
        if not p.accept(")"):
            while True:
                if p.at_value():
                    name, _, off = p.parse_arg_decl(with_type=False)
                    if p.accept("["):  # %r[%offset for %length]
                        p.parse_arg_decl(with_type=False)
                        p.expect("for")
                        p.parse_arg_decl(with_type=False)
                        p.expect("]")
                    p.expect(":")
                    ty = p.parse_type()
                    p.skip_dict()
                    p.skip_loc()
                    decls.append((name, ty, off))
                else:
                    ty = p.parse_type()
                    p.skip_dict()
                arg_types.append(ty)
                if not p.accept(","):
                    break
            p.expect(")")
        results: list[str] = []
        if p.accept("->"):
            paren = p.at("(") and not p.arrow_after_group()
            if paren:
                p.pos += 1
            if not (paren and p.accept(")")):
                index = 0
                while True:
                    if p.at_value():
                        tied = p.texts[p.pos]
                        p.pos += 1
                        match = next((i for i, d in enumerate(decls) if d[0] == tied), None)
                        if match is None:
                            raise p.error(f"tied operand not found for result reference "
                                          f"{tied}", p.pos - 1)
                        st.op.tied[index] = match
                        ty = p.parse_type() if p.accept("as") else arg_types[match]
                    else:
                        ty = p.parse_type()
                    if paren:
                        p.skip_dict()
                    results.append(ty)
                    index += 1
                    if not paren or not p.accept(","):
                        break
                if paren:
                    p.expect(")")
        st.op.syntax_attrs[ftype] = "(" + ", ".join(arg_types) + ") -> " + (
            results[0] if len(results) == 1 and not results[0].startswith("(")
            else "(" + ", ".join(results) + ")")
        st.op.syntax.signature = p.source_text(start, p.pos)
        st.entry_args[body] = decls

    def print(self, out: Out, st: PrintState, args: Args) -> None:
        ftype, body = _names(args)
        out.tight()
        sig = st.op.syntax.signature
        if not sig:
            regions = st.regions.get(body, [])
            block = regions[0].blocks[0] if regions and regions[0].blocks else None
            params = ", ".join(f"{a.name}: {a.type}" for a in block.arguments) \
                if block is not None else st.attrs.get(ftype, "() -> ()").split(") ->")[0][1:]
            results = st.attrs.get(ftype, "() -> ()").split(") -> ", 1)[-1]
            sig = f"({params})" + ("" if results == "()" else f" -> {results}")
        out.word(sig)


class ScfFor(Directive):
    """`%i = %lb to %ub step %s (: T)? (iter_args(%a = %init, ...) -> (T, ...))? {body}`."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        lb, ub, step, inits, results, body = _names(args)
        iv, _, iv_off = p.parse_arg_decl(with_type=False)
        p.expect("=")
        _bind(p, st, lb)
        p.expect("to")
        _bind(p, st, ub)
        p.expect("step")
        _bind(p, st, step)
        iv_type = "index"
        if p.accept(":"):
            iv_type = p.parse_type()
            for group in (lb, ub, step):
                st.types[group] = [(iv_type, p.last_offset)]
        decls: list[ArgDecl] = [(iv, iv_type, iv_off)]
        _touch(st, inits)
        iter_names: list[tuple[str, int]] = []
        if p.accept("iter_args"):
            p.expect("(")
            iter_names = _init_pairs(p, st, inits)
            p.expect(")")
            p.expect("->")
            rtypes = p.parse_result_type_list()
            st.types[results] = rtypes
            st.types[inits] = list(rtypes)
            decls += [(n, t, off) for (n, off), (t, _) in zip(iter_names, rtypes, strict=False)]
        st.types.setdefault(results, [])
        st.regions.setdefault(body, []).append(p.parse_region(st.op, decls, False))

    def print(self, out: Out, st: PrintState, args: Args) -> None:
        lb, ub, step, inits, results, body = _names(args)
        region = st.regions.get(body, [None])[0]
        block_args = region.blocks[0].arguments if region is not None and region.blocks else []
        g = st.groups
        iv = block_args[0] if block_args else None
        out.word(f"{iv.name if iv else '%iv'} = {g[lb][0].name} to {g[ub][0].name} step "
                 f"{g[step][0].name}")
        if iv is not None and iv.type != "index":
            out.punct(":")
            out.word(iv.type)
        if g.get(inits):
            pairs = ", ".join(f"{a.name} = {v.name}" for a, v in zip(block_args[1:], g[inits],
                                                                   strict=False))
            out.word(f"iter_args({pairs})")
            out.punct("->")
            out.word("(" + ", ".join(r.type for r in st.result_groups.get(results, [])) + ")")
        if region is not None:
            out.region(region, entry_args=False)


def _init_pairs(p: Parser, st: OpState, inits: str) -> list[tuple[str, int]]:
    """`%arg = %init, ...` of scf loops: the region arguments' names and offsets, the inits
    bound to the operand group `inits`."""
    names: list[tuple[str, int]] = []
    while True:
        name, _, off = p.parse_arg_decl(with_type=False)
        p.expect("=")
        _bind(p, st, inits)
        names.append((name, off))
        if not p.accept(","):
            return names


class ScfWhile(Directive):
    """`(%a = %init, ...) : (T) -> (T) {before} do {after}`."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        inits, results, before, after = _names(args)
        _touch(st, inits)
        names: list[tuple[str, int]] = []
        if p.accept("("):
            if not p.accept(")"):
                names = _init_pairs(p, st, inits)
                p.expect(")")
        p.expect(":")
        types = p.paren_list(p.typed)
        st.types[inits] = types
        p.expect("->")
        st.types[results] = p.parse_result_type_list()
        decls = [(n, t, off) for (n, off), (t, _) in zip(names, types, strict=False)]
        st.regions.setdefault(before, []).append(p.parse_region(st.op, decls, False))
        p.expect("do")
        st.regions.setdefault(after, []).append(p.parse_region(st.op, [], False))

    def print(self, out: Out, st: PrintState, args: Args) -> None:
        inits, results, before, after = _names(args)
        first = st.regions.get(before, [None])[0]
        block_args = first.blocks[0].arguments if first is not None and first.blocks else []
        values = st.groups.get(inits, [])
        out.word("(" + ", ".join(f"{a.name} = {v.name}" for a, v in zip(block_args, values,
                                                                       strict=False)) + ")")
        out.punct(":")
        out.word("(" + ", ".join(v.type for v in values) + ")")
        out.punct("->")
        out.word("(" + ", ".join(r.type for r in st.result_groups.get(results, [])) + ")")
        if first is not None:
            out.region(first, entry_args=False)
        out.word("do")
        for region in st.regions.get(after, []):
            out.region(region)


class SwitchCases(Directive):
    """cf.switch: `default: ^bb(%a : T), 0: ^bb1(...), ...`."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        default_ops, case_values, case_ops = _names(args)
        _touch(st, default_ops, case_ops)
        p.expect("default")
        p.expect(":")
        self._dest(p, st, default_ops)
        values = []
        while p.accept(","):
            negative = p.accept("-")
            values.append(("-" if negative else "") + p.texts[p.pos])
            p.pos += 1
            p.expect(":")
            self._dest(p, st, case_ops)
        if values:
            st.op.syntax_attrs[case_values] = "dense<[" + ", ".join(values) + "]> : vector<" + \
                f"{len(values)}xi32>"

    @staticmethod
    def _dest(p: Parser, st: OpState, group: str) -> None:
        block = p.parse_successor()
        first = len(st.operands.get(group, []))
        values = []
        if p.accept("("):
            while True:
                values.append(_bind(p, st, group))
                if not p.accept(","):
                    break
            p.expect(":")
            for value in values:
                p.check_type(value, p.parse_type(), p.last_offset)
                if not p.accept(","):
                    break
            p.expect(")")
        st.successors.append((block, group, first, len(values)))

    def print(self, out: Out, st: PrintState, args: Args) -> None:
        default_ops, case_values, case_ops = _names(args)
        text = st.attrs.get(case_values, "")
        values = text[text.find("[") + 1:text.find("]")].split(", ") if text else []
        dests = [d for group in st.successors.values() for d in group]
        items = []
        for i, (block, operands) in enumerate(dests):
            label = "default" if i == 0 else values[i - 1]
            ops = f"({', '.join(v.name for v in operands)} : " \
                f"{', '.join(v.type for v in operands)})" if operands else ""
            items.append(f"{label}: {block.label}{ops}")
        out.word(", ".join(items))


class SelectTypes(Directive):
    """arith.select: `: T` or `: i1, T` (a vector condition's type first)."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        cond, result = _names(args)
        first = p.parse_type()
        off = p.last_offset
        if p.accept(","):
            st.types[cond] = [(first, off)]
            first = p.parse_type()
            off = p.last_offset
        st.types[result] = [(first, off)]

    def print(self, out: Out, st: PrintState, args: Args) -> None:
        cond, result = _names(args)
        ctype = st.groups.get(cond, [])
        if ctype and ctype[0].type != "i1":
            out.types([ctype[0].type])
            out.punct(",")
        out.types([r.type for r in st.result_groups.get(result, [])])


class TiedFunctionResults(Directive):
    """util.call: `(T, T) -> (T, %a)`: operand types, then results that may name operands."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        operands, results = _names(args)
        p.paren_list(lambda: _bind_type(p, st, operands))
        p.expect("->")
        _shaped_results(p, st, operands, results, None)

    def print(self, out: Out, st: PrintState, args: Args) -> None:
        operands, results = _names(args)
        values = st.groups.get(operands, [])
        out.word("(" + ", ".join(v.type for v in values) + ")")
        out.punct("->")
        out.word(_tied_list(st, values, st.result_groups.get(results, []), None))


class ShapedResults(Directive):
    """`(T{%d}, T)` of flow.dispatch.region's results."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        results, dims = _names(args)
        _touch(st, dims)
        p.expect("(")
        if p.accept(")"):
            st.types.setdefault(results, [])
            return
        while True:
            _sized_type(p, st, results, dims)
            if not p.accept(","):
                break
        p.expect(")")

    def print(self, out: Out, st: PrintState, args: Args) -> None:
        results, dims = _names(args)
        rest = list(st.groups.get(dims, []))
        out.word("(" + ", ".join(out.printer.take_dims(r.type, rest)
                                 for r in st.result_groups.get(results, [])) + ")")


class GenericBody(Directive):
    """linalg.generic: `ins(..) outs(..) (attrs = {...})? {region}`; the trait dictionary
    (`{indexing_maps = ...}`) before it is the op's attribute dictionary."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        inputs, outputs, body = _names(args)
        _ins_outs(p, st, inputs, outputs)
        if p.accept("attrs"):
            p.expect("=")
            p.parse_attribute("any")
        st.regions.setdefault(body, []).append(p.parse_region(st.op, [], False))

    def print(self, out: Out, st: PrintState, args: Args) -> None:
        InsOuts.print(self, out, st, args)  # type: ignore[arg-type]
        for region in st.regions.get(args[2][1], []):
            out.region(region)


def _ins_outs(p: Parser, st: OpState, inputs: str, outputs: str) -> None:
    _touch(st, inputs, outputs)
    for word, group in (("ins", inputs), ("outs", outputs)):
        if not p.accept(word):
            continue
        p.expect("(")
        if p.accept(")"):
            continue
        while True:
            _bind(p, st, group)
            if not p.accept(","):
                break
        p.expect(":")
        while True:
            _bind_type(p, st, group)
            if not p.accept(","):
                break
        p.expect(")")


class InsOuts(Directive):
    """Named linalg ops: `ins(%a, %b : T, T) outs(%c : T)`."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        inputs, outputs = _names(args)
        _ins_outs(p, st, inputs, outputs)

    def print(self, out: Out, st: PrintState, args: Args) -> None:
        inputs, outputs = _names(args)[:2]
        for word, group in (("ins", inputs), ("outs", outputs)):
            values = st.groups.get(group, [])
            if values:
                out.word(f"{word}(" + ", ".join(v.name for v in values) + " : " +
                         ", ".join(v.type for v in values) + ")")


CUSTOM: dict[str, Any] = {
    "SymbolVisibility": SymbolVisibility(),
    "TypeOrAttr": TypeOrAttr(),
    "SymbolAlias": SymbolAlias(),
    "WorkgroupCountRegion": WorkgroupCountRegion("workgroups", isolated=True),
    "DispatchWorkgroupBody": DispatchWorkgroupBody(),
    "DispatchWorkgroupsCountRegion": WorkgroupCountRegion("count", isolated=True,
                                                          spaced=True),
    "DispatchEntryPoints": DispatchEntryPoints(),
    "ShapedFunctionType": ShapedFunctionType(),
    "EncodedShapedFunctionType": EncodedShapedFunctionType(),
    "ShapedTiedResult": ShapedTiedResult(),
    "ResourceRegion": ResourceRegion(),
    "ExplicitResourceRegion": ExplicitResourceRegion(),
    "ShapedTypeList": ShapedTypeList(),
    "PackSliceRanges": PackSliceRanges(),
    "ConstantValueList": ConstantValueList(),
    "DispatchResources": DispatchResources(),
    "DispatchOperands": DispatchOperands(),
    "CollectiveParam": CollectiveParam(),
    "TypeAlias": TypeAlias(),
    "DynamicIndexList": DynamicIndexList(),
    "ResultTypes": ResultTypes(),
    "FunctionSignature": FunctionSignature(),
    "ScfFor": ScfFor(),
    "ScfWhile": ScfWhile(),
    "SwitchCases": SwitchCases(),
    "SelectTypes": SelectTypes(),
    "TiedFunctionResults": TiedFunctionResults(),
    "CountRegion": WorkgroupCountRegion("count", isolated=False),
    "ShapedResults": ShapedResults(),
    "GenericBody": GenericBody(),
    "InsOuts": InsOuts(),
}
