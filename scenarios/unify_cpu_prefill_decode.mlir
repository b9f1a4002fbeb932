// A weight encoded twice by data tiling on one CPU: once for a prefill matmul (M=128), once for
// a decode matmul (M=1). IREE's CPU resolver unifies to identity, so both matmuls must relayout
// the weight at run time; keeping the prefill layout relayouts only in decode.
#cpu = #hal.executable.target<"llvm-cpu", "embedded-elf-x86_64", {cpu = "znver4", iree.encoding.resolver = #iree_cpu.cpu_encoding_resolver<>}>
#device = #hal.device.target<"local", [#cpu]> : !hal.device
#lhs = affine_map<(m, n, k) -> (m, k)>
#rhs = affine_map<(m, n, k) -> (k, n)>
#out = affine_map<(m, n, k) -> (m, n)>
#prefill = #iree_encoding.encoding<operand_index = 1 : index, op_type = matmul, element_types = [f32, f32, f32], user_indexing_maps = [#lhs, #rhs, #out], iteration_sizes = [128, 2048, 1024]>
#decode = #iree_encoding.encoding<operand_index = 1 : index, op_type = matmul, element_types = [f32, f32, f32], user_indexing_maps = [#lhs, #rhs, #out], iteration_sizes = [1, 2048, 1024]>
module {
  util.global private @cpu0 = #device
  util.global private @w_prefill : !stream.resource<constant>
  util.global private @w_prefill_size : index
  util.global private @w_decode : !stream.resource<constant>
  util.global private @w_decode_size : index
  util.initializer {
    %w = stream.tensor.constant on(#hal.device.affinity<@cpu0>) : tensor<1024x2048xf32> in !stream.resource<constant> = #stream.parameter.named<"model"::"ffn.w"> : tensor<1024x2048xf32>
    %w_size = stream.resource.size %w : !stream.resource<constant>
    %a = stream.async.clone on(#hal.device.affinity<@cpu0>) %w : !stream.resource<constant>{%w_size} -> !stream.resource<*>{%w_size}
    %a_size = stream.tensor.sizeof on(#hal.device.affinity<@cpu0>) tensor<1024x2048xf32, #prefill> : index
    %a_enc = stream.tensor.encode on(#hal.device.affinity<@cpu0>) %a : tensor<1024x2048xf32> in !stream.resource<*>{%w_size} -> tensor<1024x2048xf32, #prefill> in !stream.resource<*>{%a_size}
    %a_const = stream.async.clone on(#hal.device.affinity<@cpu0>) %a_enc : !stream.resource<*>{%a_size} -> !stream.resource<constant>{%a_size}
    util.global.store %a_const, @w_prefill : !stream.resource<constant>
    util.global.store %a_size, @w_prefill_size : index
    %b = stream.async.clone on(#hal.device.affinity<@cpu0>) %w : !stream.resource<constant>{%w_size} -> !stream.resource<*>{%w_size}
    %b_size = stream.tensor.sizeof on(#hal.device.affinity<@cpu0>) tensor<1024x2048xf32, #decode> : index
    %b_enc = stream.tensor.encode on(#hal.device.affinity<@cpu0>) %b : tensor<1024x2048xf32> in !stream.resource<*>{%w_size} -> tensor<1024x2048xf32, #decode> in !stream.resource<*>{%b_size}
    %b_const = stream.async.clone on(#hal.device.affinity<@cpu0>) %b_enc : !stream.resource<*>{%b_size} -> !stream.resource<constant>{%b_size}
    util.global.store %b_const, @w_decode : !stream.resource<constant>
    util.global.store %b_size, @w_decode_size : index
    util.return
  }
  stream.executable private @mm {
    stream.executable.export public @prefill
    stream.executable.export public @decode
    builtin.module {
      func.func @prefill(%arg0: !stream.binding, %arg1: !stream.binding, %arg2: !stream.binding) {
        return
      }
      func.func @decode(%arg0: !stream.binding, %arg1: !stream.binding, %arg2: !stream.binding) {
        return
      }
    }
  }
  util.func public @prefill(%x: !stream.resource<*>, %x_size: index, %y_size: index) -> !stream.resource<*> {
    %w = util.global.load immutable @w_prefill : !stream.resource<constant>
    %w_size = util.global.load immutable @w_prefill_size : index
    %y = stream.tensor.dispatch on(#hal.device.affinity<@cpu0>) @mm::@prefill(%x, %w) : (tensor<128x1024xf32> in !stream.resource<*>{%x_size}, tensor<1024x2048xf32, #prefill> in !stream.resource<constant>{%w_size}) -> tensor<128x2048xf32> in !stream.resource<*>{%y_size}
    util.return %y : !stream.resource<*>
  }
  util.func public @decode(%x: !stream.resource<*>, %x_size: index, %y_size: index) -> !stream.resource<*> {
    %w = util.global.load immutable @w_decode : !stream.resource<constant>
    %w_size = util.global.load immutable @w_decode_size : index
    %y = stream.tensor.dispatch on(#hal.device.affinity<@cpu0>) @mm::@decode(%x, %w) : (tensor<1x1024xf32> in !stream.resource<*>{%x_size}, tensor<1024x2048xf32, #decode> in !stream.resource<constant>{%w_size}) -> tensor<1x2048xf32> in !stream.resource<*>{%y_size}
    util.return %y : !stream.resource<*>
  }
}
