// Inference-only browser versions of the library's two custom layers that the MNIST models use
// (lib/models/conv.ts SameConv2D, lib/models/batch_norm.ts BatchNorm), registered under the same
// class names so tf.loadLayersModel reads the files saveModel wrote. Same weights, in the same
// order, and the same inference arithmetic as the library's layers.
/* global tf */
class SameConv2D extends tf.layers.Layer {
  static className = "SameConv2D";
  constructor(config) {
    super(config);
    this.filters = config.filters;
    this.kernelSize = config.kernelSize;
    this.activation = config.activation ?? "linear";
  }
  build(inputShape) {
    const channels = inputShape[inputShape.length - 1];
    const k = this.kernelSize;
    this.kernel = this.addWeight("kernel", [k, k, channels, this.filters], "float32");
    this.bias = this.addWeight("bias", [this.filters], "float32");
    this.built = true;
  }
  computeOutputShape(inputShape) {
    return [...inputShape.slice(0, -1), this.filters];
  }
  call(inputs) {
    return tf.tidy(() =>
      tf.fused.conv2d({
        x: Array.isArray(inputs) ? inputs[0] : inputs,
        filter: this.kernel.read(),
        strides: 1,
        pad: "same",
        bias: this.bias.read(),
        activation: this.activation,
      })
    );
  }
  getConfig() {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      activation: this.activation,
    };
  }
}

class BatchNorm extends tf.layers.Layer {
  static className = "BatchNorm";
  constructor(config) {
    super(config);
    this.momentum = config.momentum ?? 0.9;
    this.epsilon = config.epsilon ?? 1e-5;
  }
  build(inputShape) {
    const c = [inputShape[inputShape.length - 1]];
    this.gamma = this.addWeight("gamma", c, "float32");
    this.beta = this.addWeight("beta", c, "float32");
    this.movingMean = this.addWeight("moving_mean", c, "float32", undefined, undefined, false);
    this.movingVariance = this.addWeight(
      "moving_variance",
      c,
      "float32",
      undefined,
      undefined,
      false,
    );
    this.built = true;
  }
  computeOutputShape(inputShape) {
    return inputShape;
  }
  call(inputs) {
    return tf.tidy(() =>
      tf.batchNorm(
        Array.isArray(inputs) ? inputs[0] : inputs,
        this.movingMean.read(),
        this.movingVariance.read(),
        this.beta.read(),
        this.gamma.read(),
        this.epsilon,
      )
    );
  }
  getConfig() {
    return { ...super.getConfig(), momentum: this.momentum, epsilon: this.epsilon };
  }
}

tf.serialization.registerClass(SameConv2D);
tf.serialization.registerClass(BatchNorm);
