// A bias used by a prefill matmul as tensor<512> (broadcast along M) and fused into the
// decode matmul's init as tensor<1x512>. On a GPU, IREE 3.13's resolver gives every version
// the first version's encoding, which describes a rank-1 operand: the rank-2 decode copy gets
// an encoding of the wrong rank (the complete compile then crashes). The optimal policy
// unifies per shape and keeps each shape's own encoding.
#gpu = #hal.executable.target<"rocm", "rocm-hsaco-fb", {abi = "hip", iree.encoding.resolver = #iree_gpu.gpu_encoding_resolver<>}>
#device = #hal.device.target<"hip", [#gpu]> : !hal.device
#lhs = affine_map<(m, n, k) -> (m, k)>
#rhs = affine_map<(m, n, k) -> (k, n)>
#acc = affine_map<(m, n, k) -> (m, n)>
#bcast = affine_map<(m, n) -> (n)>
#bias_prefill = #iree_encoding.encoding<operand_index = 2 : index, op_type = matmul, element_types = [f16, f16, f32], user_indexing_maps = [#lhs, #rhs, [#acc, #bcast]], iteration_sizes = [128, 512, 256]>
#bias_decode = #iree_encoding.encoding<operand_index = 2 : index, op_type = matmul, element_types = [f16, f16, f32], user_indexing_maps = [#lhs, #rhs, #acc], iteration_sizes = [1, 512, 256]>
util.global private @gpu0 = #device
util.global private @b_prefill : !stream.resource<constant>
util.global private @b_prefill_size : index
util.global private @b_decode : !stream.resource<constant>
util.global private @b_decode_size : index
util.initializer {
  %b = stream.tensor.constant on(#hal.device.affinity<@gpu0>) : tensor<512xf32> in !stream.resource<constant> = #stream.parameter.named<"model"::"proj.bias"> : tensor<512xf32>
  %b_size = stream.resource.size %b : !stream.resource<constant>
  %c1 = stream.async.clone on(#hal.device.affinity<@gpu0>) %b : !stream.resource<constant>{%b_size} -> !stream.resource<*>{%b_size}
  %s1 = stream.tensor.sizeof on(#hal.device.affinity<@gpu0>) tensor<512xf32, #bias_prefill> : index
  %e1 = stream.tensor.encode on(#hal.device.affinity<@gpu0>) %c1 : tensor<512xf32> in !stream.resource<*>{%b_size} -> tensor<512xf32, #bias_prefill> in !stream.resource<*>{%s1}
  %k1 = stream.async.clone on(#hal.device.affinity<@gpu0>) %e1 : !stream.resource<*>{%s1} -> !stream.resource<constant>{%s1}
  util.global.store %k1, @b_prefill : !stream.resource<constant>
  util.global.store %s1, @b_prefill_size : index
  %c2 = stream.async.clone on(#hal.device.affinity<@gpu0>) %b : !stream.resource<constant>{%b_size} -> !stream.resource<*>{%b_size}
  %s2 = stream.tensor.sizeof on(#hal.device.affinity<@gpu0>) tensor<1x512xf32, #bias_decode> : index
  %e2 = stream.tensor.encode on(#hal.device.affinity<@gpu0>) %c2 : tensor<1x512xf32> in !stream.resource<*>{%b_size} -> tensor<1x512xf32, #bias_decode> in !stream.resource<*>{%s2}
  %k2 = stream.async.clone on(#hal.device.affinity<@gpu0>) %e2 : !stream.resource<*>{%s2} -> !stream.resource<constant>{%s2}
  util.global.store %k2, @b_decode : !stream.resource<constant>
  util.global.store %s2, @b_decode_size : index
  util.return
}
stream.executable private @mm {
  stream.executable.export public @prefill
  stream.executable.export public @decode
  builtin.module {
    func.func @prefill(%arg0: !stream.binding, %arg1: !stream.binding) {
      return
    }
    func.func @decode(%arg0: !stream.binding, %arg1: !stream.binding) {
      return
    }
  }
}
util.func public @prefill(%x: !stream.resource<*>, %x_size: index, %y_size: index) -> !stream.resource<*> {
  %b = util.global.load immutable @b_prefill : !stream.resource<constant>
  %b_size = util.global.load immutable @b_prefill_size : index
  %y = stream.tensor.dispatch on(#hal.device.affinity<@gpu0>) @mm::@prefill(%x, %b) : (tensor<128x256xf16> in !stream.resource<*>{%x_size}, tensor<512xf32, #bias_prefill> in !stream.resource<constant>{%b_size}) -> tensor<128x512xf32> in !stream.resource<*>{%y_size}
  util.return %y : !stream.resource<*>
}
util.func public @decode(%x: !stream.resource<*>, %x_size: index, %y_size: index) -> !stream.resource<*> {
  %b = util.global.load immutable @b_decode : !stream.resource<constant>
  %b_size = util.global.load immutable @b_decode_size : index
  %y = stream.tensor.dispatch on(#hal.device.affinity<@gpu0>) @mm::@decode(%x, %b) : (tensor<1x256xf16> in !stream.resource<*>{%x_size}, tensor<1x512xf32, #bias_decode> in !stream.resource<constant>{%b_size}) -> tensor<1x512xf32> in !stream.resource<*>{%y_size}
  util.return %y : !stream.resource<*>
}
