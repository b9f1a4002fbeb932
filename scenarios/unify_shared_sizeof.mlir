// Two weights of one type share CSE'd sizeof ops: %sp sizes both prefill copies, %sd both decode
// copies. The initializer encodes @wk for decode first, so IREE's GPU rule (first version's
// encoding) unifies @wq to #prefill and @wk to #decode, and rewrites each shared sizeof once
// per source: the last write wins and one encode is sized for the other layout. placement
// splits a shared sizeof whose users end with different encodings.
#gpu = #hal.executable.target<"rocm", "rocm-hsaco-fb", {abi = "hip", iree.encoding.resolver = #iree_gpu.gpu_encoding_resolver<>}>
#device = #hal.device.target<"hip", [#gpu]> : !hal.device
#lhs = affine_map<(m, n, k) -> (m, k)>
#rhs = affine_map<(m, n, k) -> (k, n)>
#acc = affine_map<(m, n, k) -> (m, n)>
#prefill = #iree_encoding.encoding<operand_index = 1 : index, op_type = matmul, element_types = [f16, f16, f32], user_indexing_maps = [#lhs, #rhs, #acc], iteration_sizes = [128, 512, 512]>
#decode = #iree_encoding.encoding<operand_index = 1 : index, op_type = matmul, element_types = [f16, f16, f32], user_indexing_maps = [#lhs, #rhs, #acc], iteration_sizes = [1, 512, 512]>
util.global private @gpu0 = #device
util.global private @wq_p : !stream.resource<constant>
util.global private @wq_d : !stream.resource<constant>
util.global private @wk_d : !stream.resource<constant>
util.global private @wk_p : !stream.resource<constant>
util.initializer {
  %q = stream.tensor.constant on(#hal.device.affinity<@gpu0>) : tensor<512x512xf16> in !stream.resource<constant> = #stream.parameter.named<"model"::"attn.wq"> : tensor<512x512xf16>
  %q_size = stream.resource.size %q : !stream.resource<constant>
  %k = stream.tensor.constant on(#hal.device.affinity<@gpu0>) : tensor<512x512xf16> in !stream.resource<constant> = #stream.parameter.named<"model"::"attn.wk"> : tensor<512x512xf16>
  %k_size = stream.resource.size %k : !stream.resource<constant>
  %sp = stream.tensor.sizeof on(#hal.device.affinity<@gpu0>) tensor<512x512xf16, #prefill> : index
  %sd = stream.tensor.sizeof on(#hal.device.affinity<@gpu0>) tensor<512x512xf16, #decode> : index
  %q1 = stream.async.clone on(#hal.device.affinity<@gpu0>) %q : !stream.resource<constant>{%q_size} -> !stream.resource<*>{%q_size}
  %q1e = stream.tensor.encode on(#hal.device.affinity<@gpu0>) %q1 : tensor<512x512xf16> in !stream.resource<*>{%q_size} -> tensor<512x512xf16, #prefill> in !stream.resource<*>{%sp}
  %q1c = stream.async.clone on(#hal.device.affinity<@gpu0>) %q1e : !stream.resource<*>{%sp} -> !stream.resource<constant>{%sp}
  util.global.store %q1c, @wq_p : !stream.resource<constant>
  %q2 = stream.async.clone on(#hal.device.affinity<@gpu0>) %q : !stream.resource<constant>{%q_size} -> !stream.resource<*>{%q_size}
  %q2e = stream.tensor.encode on(#hal.device.affinity<@gpu0>) %q2 : tensor<512x512xf16> in !stream.resource<*>{%q_size} -> tensor<512x512xf16, #decode> in !stream.resource<*>{%sd}
  %q2c = stream.async.clone on(#hal.device.affinity<@gpu0>) %q2e : !stream.resource<*>{%sd} -> !stream.resource<constant>{%sd}
  util.global.store %q2c, @wq_d : !stream.resource<constant>
  %k1 = stream.async.clone on(#hal.device.affinity<@gpu0>) %k : !stream.resource<constant>{%k_size} -> !stream.resource<*>{%k_size}
  %k1e = stream.tensor.encode on(#hal.device.affinity<@gpu0>) %k1 : tensor<512x512xf16> in !stream.resource<*>{%k_size} -> tensor<512x512xf16, #decode> in !stream.resource<*>{%sd}
  %k1c = stream.async.clone on(#hal.device.affinity<@gpu0>) %k1e : !stream.resource<*>{%sd} -> !stream.resource<constant>{%sd}
  util.global.store %k1c, @wk_d : !stream.resource<constant>
  %k2 = stream.async.clone on(#hal.device.affinity<@gpu0>) %k : !stream.resource<constant>{%k_size} -> !stream.resource<*>{%k_size}
  %k2e = stream.tensor.encode on(#hal.device.affinity<@gpu0>) %k2 : tensor<512x512xf16> in !stream.resource<*>{%k_size} -> tensor<512x512xf16, #prefill> in !stream.resource<*>{%sp}
  %k2c = stream.async.clone on(#hal.device.affinity<@gpu0>) %k2e : !stream.resource<*>{%sp} -> !stream.resource<constant>{%sp}
  util.global.store %k2c, @wk_p : !stream.resource<constant>
  util.return
}
