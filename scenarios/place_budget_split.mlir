// A two-layer MLP on two devices whose weights do not fit one device's budget.
//
// IREE's rule puts everything where the input is imported (@device_a): 40 KiB of weights plus
// the activations, over a 36 KiB budget. `placement place` moves the second layer (@w2 and its
// dispatch) to @device_b: within both budgets, at the price of two small transfers.
//
//   placement place scenarios/place_budget_split.mlir --candidates all --budget @device_a=36K \
//       --budget @device_b=36K -f table
module attributes {stream.affinity.default = #hal.device.affinity<@device_a>} {
  util.global private @device_a : !hal.device
  util.global private @device_b : !hal.device
  util.global private @w1 = #stream.parameter.named<"model"::"w1"> : tensor<64x128xf32>
  util.global private @w2 = #stream.parameter.named<"model"::"w2"> : tensor<128x16xf32>
  util.func public @mlp(%arg0: !hal.buffer_view) -> !hal.buffer_view {
    %w1 = util.global.load immutable @w1 : tensor<64x128xf32>
    %w2 = util.global.load immutable @w2 : tensor<128x16xf32>
    %x = hal.tensor.import on(#hal.device.affinity<@device_a>) %arg0 "input0" : !hal.buffer_view -> tensor<1x64xf32>
    %h = flow.dispatch @layer1::@matmul_1x128x64(%x, %w1) : (tensor<1x64xf32>, tensor<64x128xf32>) -> tensor<1x128xf32>
    %y = flow.dispatch @layer2::@matmul_1x16x128(%h, %w2) : (tensor<1x128xf32>, tensor<128x16xf32>) -> tensor<1x16xf32>
    %out = hal.tensor.export on(#hal.device.affinity<@device_a>) %y "output0" : tensor<1x16xf32> -> !hal.buffer_view
    util.return %out : !hal.buffer_view
  }
}
