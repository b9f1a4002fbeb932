// A two-device pipeline: the input arrives on @device_a, the first layer runs there,
// the activations move to @device_b for the second layer, which loops four times
// over a weight that lives in a global. Run: placement solve scenarios/two_devices.mlir
module attributes {stream.affinity.default = #hal.device.affinity<@device_a>} {
  util.global private @device_a : !hal.device
  util.global private @device_b : !hal.device
  util.global private @w1 {stream.affinity = #hal.device.affinity<@device_a>} : tensor<64x128xf32>
  util.global private mutable @w2 : tensor<128x128xf32>

  util.initializer {
    %cst = flow.tensor.constant dense<0.5> : tensor<128x128xf32>
    util.global.store %cst, @w2 : tensor<128x128xf32>
    util.return
  }

  util.func private @layer2(%x: tensor<8x128xf32>) -> tensor<8x128xf32> {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    %w = util.global.load @w2 : tensor<128x128xf32>
    %r = scf.for %i = %c0 to %c4 step %c1 iter_args(%acc = %x) -> (tensor<8x128xf32>) {
      %y = flow.dispatch @mm::@mm_8x128x128(%acc, %w) : (tensor<8x128xf32>, tensor<128x128xf32>) -> %acc
      scf.yield %y : tensor<8x128xf32>
    }
    util.return %r : tensor<8x128xf32>
  }

  util.func public @main(%input: !hal.buffer_view) -> !hal.buffer_view {
    %w1 = util.global.load @w1 : tensor<64x128xf32>
    %in = hal.tensor.import on(#hal.device.affinity<@device_a>) %input "input" : !hal.buffer_view -> tensor<8x64xf32>
    %h = flow.dispatch @mm::@mm_8x64x128(%in, %w1) : (tensor<8x64xf32>, tensor<64x128xf32>) -> tensor<8x128xf32>
    %h_b = flow.tensor.transfer %h : tensor<8x128xf32> to #hal.device.affinity<@device_b>
    %out = util.call @layer2(%h_b) : (tensor<8x128xf32>) -> tensor<8x128xf32>
    %out_a = flow.tensor.transfer %out : tensor<8x128xf32> to #hal.device.affinity<@device_a>
    %bv = hal.tensor.export on(#hal.device.affinity<@device_a>) %out_a "output" : tensor<8x128xf32> -> !hal.buffer_view
    util.return %bv : !hal.buffer_view
  }
}
