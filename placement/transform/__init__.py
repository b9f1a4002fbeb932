"""IR transforms: they change a parsed module through `placement.ir.rewrite.Rewriter`."""
