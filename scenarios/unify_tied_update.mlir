// A KV-cache-like buffer initialized from one parameter in two layouts on a target whose
// resolver specializes every encoding to #iree_encoding.specialized<42>. The hot path updates
// the first copy in place (a dispatch with a tied result). IREE's choice is a third layout:
// every dispatch relayouts, and the tied result needs a re-encode after the dispatch. Keeping
// the hot path's own layout needs neither.
#target = #hal.executable.target<"vmvx", "vmvx-bytecode-fb", {iree.encoding.resolver = #iree_encoding.specialization_resolver<42>}>
#device = #hal.device.target<"local", {ordinal = 0 : index}, [#target]> : !hal.device
#hot = #iree_encoding.testing<layouts = [#iree_encoding.specialized<1>]>
#cold = #iree_encoding.testing<layouts = [#iree_encoding.specialized<2>]>
util.global private @dev = #device
util.global private @cache_hot : !stream.resource<constant>
util.global private @cache_hot_size : index
util.global private @cache_cold : !stream.resource<constant>
util.global private @cache_cold_size : index
util.initializer {
  %p = stream.tensor.constant on(#hal.device.affinity<@dev>) : tensor<64x4096xf16> in !stream.resource<constant> = #stream.parameter.named<"model"::"kv.init"> : tensor<64x4096xf16>
  %p_size = stream.resource.size %p : !stream.resource<constant>
  %s1 = stream.tensor.sizeof on(#hal.device.affinity<@dev>) tensor<64x4096xf16, #hot> : index
  %e1 = stream.tensor.encode on(#hal.device.affinity<@dev>) %p : tensor<64x4096xf16> in !stream.resource<constant>{%p_size} -> tensor<64x4096xf16, #hot> in !stream.resource<constant>{%s1}
  util.global.store %e1, @cache_hot : !stream.resource<constant>
  util.global.store %s1, @cache_hot_size : index
  %s2 = stream.tensor.sizeof on(#hal.device.affinity<@dev>) tensor<64x4096xf16, #cold> : index
  %e2 = stream.tensor.encode on(#hal.device.affinity<@dev>) %p : tensor<64x4096xf16> in !stream.resource<constant>{%p_size} -> tensor<64x4096xf16, #cold> in !stream.resource<constant>{%s2}
  util.global.store %e2, @cache_cold : !stream.resource<constant>
  util.global.store %s2, @cache_cold_size : index
  util.return
}
stream.executable private @kv {
  stream.executable.export public @update
  stream.executable.export public @read
  builtin.module {
    func.func @update(%arg0: !stream.binding) {
      return
    }
    func.func @read(%arg0: !stream.binding, %arg1: !stream.binding) {
      return
    }
  }
}
util.func public @step(%n: index) -> !stream.resource<*> {
  %c = util.global.load @cache_hot : !stream.resource<constant>
  %c_size = util.global.load @cache_hot_size : index
  %w = stream.async.clone on(#hal.device.affinity<@dev>) %c : !stream.resource<constant>{%c_size} -> !stream.resource<*>{%c_size}
  %u = stream.tensor.dispatch on(#hal.device.affinity<@dev>) @kv::@update(%w) : (tensor<64x4096xf16, #hot> in !stream.resource<*>{%c_size}) -> tensor<64x4096xf16, #hot> in %w{%c_size}
  util.return %u : !stream.resource<*>
}
util.func public @snapshot(%n: index) -> !stream.resource<*> {
  %c = util.global.load @cache_cold : !stream.resource<constant>
  %c_size = util.global.load @cache_cold_size : index
  %r = stream.tensor.dispatch on(#hal.device.affinity<@dev>) @kv::@read(%c) : (tensor<64x4096xf16, #cold> in !stream.resource<constant>{%c_size}) -> tensor<64xf16> in !stream.resource<*>{%n}
  util.return %r : !stream.resource<*>
}
