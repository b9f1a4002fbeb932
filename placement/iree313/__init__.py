"""The IREE 3.13 semantics profile (spec section 10): what both engines share.

`explorer` holds the 3.13 Explorer and the op-table rows the profile applies to a module,
`pins` the precomputed pinned-value map of PR #20945, `annotate` the 3.13 lookups and the
`.usage` attributes. The rules themselves are `placement.baseline.iree313` (fixpoint) and
`placement.model.iree313` (Z3); see docs/iree313.md.
"""

SEMANTICS = ("seed", "iree-3.13")
