/** oneDNN's kernels for the native layer: `OneDnnKernels` and the shapes its kernels take. */
export { OneDnnKernels } from "./kernels.ts";
export type { PrimitiveInfo } from "./cache.ts";
export { type Conv2DInfoLike, type Conv2DParams, conv2DParams } from "./convolution.ts";
export { type Pool2DParams, pool2DParams } from "./pooling.ts";
export type { MatMulShape } from "./matmul.ts";
export type { BinaryOp, BinaryShape } from "./eltwise.ts";
export type { BatchNormShape } from "./batch_norm.ts";
