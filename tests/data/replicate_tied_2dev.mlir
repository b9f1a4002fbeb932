module attributes {stream.affinity.default = #hal.device.affinity<@device_a>} {
  util.global private @device_a = #hal.device.target<"local", {ordinal = 0 : index}, [#hal.executable.target<"llvm-cpu", "embedded-elf-x86_64", {cpu = "", cpu_features = "", data_layout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128", iree.encoding.resolver = #iree_cpu.cpu_encoding_resolver<>, max_stack_allocation_size = 32768 : i64, native_vector_size = 16 : i64, target_triple = "x86_64-unknown-unknown-eabi-elf"}>]> : !hal.device
  util.global private @device_b = #hal.device.target<"local", {ordinal = 1 : index}, [#hal.executable.target<"llvm-cpu", "embedded-elf-x86_64", {cpu = "", cpu_features = "", data_layout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128", iree.encoding.resolver = #iree_cpu.cpu_encoding_resolver<>, max_stack_allocation_size = 32768 : i64, native_vector_size = 16 : i64, target_triple = "x86_64-unknown-unknown-eabi-elf"}>]> : !hal.device
  util.global private @w = #stream.parameter.named<"model"::"w"> : tensor<64x64xf32>
  flow.executable private @layer {
    flow.executable.export public @layer_matmul_8x64x64_f32 workgroups() -> (index, index, index) {
      %x, %y, %z = iree_tensor_ext.dispatch.workgroup_count_from_slice()
      flow.return %x, %y, %z : index, index, index
    }
    builtin.module {
      func.func @layer_matmul_8x64x64_f32(%arg0: !iree_tensor_ext.dispatch.tensor<readonly:tensor<8x64xf32>>, %arg1: !iree_tensor_ext.dispatch.tensor<readonly:tensor<64x64xf32>>, %arg2: !iree_tensor_ext.dispatch.tensor<writeonly:tensor<8x64xf32>>) {
        %cst = arith.constant 0.000000e+00 : f32
        %0 = iree_tensor_ext.dispatch.tensor.load %arg0, offsets = [0, 0], sizes = [8, 64], strides = [1, 1] : !iree_tensor_ext.dispatch.tensor<readonly:tensor<8x64xf32>> -> tensor<8x64xf32>
        %1 = iree_tensor_ext.dispatch.tensor.load %arg1, offsets = [0, 0], sizes = [64, 64], strides = [1, 1] : !iree_tensor_ext.dispatch.tensor<readonly:tensor<64x64xf32>> -> tensor<64x64xf32>
        %2 = tensor.empty() : tensor<8x64xf32>
        %3 = linalg.fill ins(%cst : f32) outs(%2 : tensor<8x64xf32>) -> tensor<8x64xf32>
        %4 = linalg.matmul ins(%0, %1 : tensor<8x64xf32>, tensor<64x64xf32>) outs(%3 : tensor<8x64xf32>) -> tensor<8x64xf32>
        %5 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%4 : tensor<8x64xf32>) outs(%2 : tensor<8x64xf32>) {
        ^bb0(%in: f32, %out: f32):
          %6 = math.tanh %in : f32
          linalg.yield %6 : f32
        } -> tensor<8x64xf32>
        iree_tensor_ext.dispatch.tensor.store %5, %arg2, offsets = [0, 0], sizes = [8, 64], strides = [1, 1] : tensor<8x64xf32> -> !iree_tensor_ext.dispatch.tensor<writeonly:tensor<8x64xf32>>
        return
      }
    }
  }
  util.func public @main(%arg0: !hal.buffer_view) -> !hal.buffer_view attributes {iree.abi.stub, iree.reflection = {iree.abi.declaration = "sync func @main(%input0: tensor<8x64xf32> {iree.abi.affinity = #hal.device.promise<@device_a>}) -> (%output0: tensor<8x64xf32> {iree.abi.affinity = #hal.device.promise<@device_a>})"}} {
    %0 = hal.tensor.import on(#hal.device.affinity<@device_a>) %arg0 "input0" : !hal.buffer_view -> tensor<8x64xf32>
    %w0 = util.global.load immutable @w : tensor<64x64xf32>
    %1 = flow.dispatch @layer::@layer_matmul_8x64x64_f32(%0, %w0) {stream.affinity = #hal.device.affinity<@device_a>} : (tensor<8x64xf32>, tensor<64x64xf32>) -> tensor<8x64xf32>
    %2 = flow.tensor.transfer %1 : tensor<8x64xf32> to #hal.device.affinity<@device_b>
    %w1 = util.global.load immutable @w : tensor<64x64xf32>
    %3 = flow.dispatch @layer::@layer_matmul_8x64x64_f32(%2, %w1) {stream.affinity = #hal.device.affinity<@device_b>} : (tensor<8x64xf32>, tensor<64x64xf32>) -> tensor<8x64xf32>
    %4 = flow.tensor.transfer %3 : tensor<8x64xf32> to #hal.device.affinity<@device_a>
    %w2 = util.global.load immutable @w : tensor<64x64xf32>
    %5 = flow.dispatch @layer::@layer_matmul_8x64x64_f32(%4, %w2) {stream.affinity = #hal.device.affinity<@device_a>} : (tensor<8x64xf32>, tensor<64x64xf32>) -> tensor<8x64xf32>
    %6 = flow.tensor.transfer %5 : tensor<8x64xf32> to #hal.device.affinity<@device_b>
    %w3 = util.global.load immutable @w : tensor<64x64xf32>
    %7 = flow.dispatch @layer::@layer_matmul_8x64x64_f32(%6, %w3) {stream.affinity = #hal.device.affinity<@device_b>} : (tensor<8x64xf32>, tensor<64x64xf32>) -> tensor<8x64xf32>
    %8 = flow.tensor.transfer %7 : tensor<8x64xf32> to #hal.device.affinity<@device_a>
    %9 = hal.tensor.export on(#hal.device.affinity<@device_a>) %8 "output0" : tensor<8x64xf32> -> !hal.buffer_view
    util.return %9 : !hal.buffer_view
  }
}
