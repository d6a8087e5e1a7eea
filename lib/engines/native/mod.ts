/**
 * The native engine's FFI core: oneDNN found and checked (loader.ts), proved
 * in a child process before first use (prove.ts), and its kernels in place on
 * tfjs-layout Float32Arrays (onednn.ts). No tfjs import: the tfjs kernels
 * that call this live with the backend.
 */
export {
  defaultLibraryPaths,
  identifyOneDnn,
  loadOneDnn,
  type LoadResult,
  type NativeRequest,
  nativeRequestFromEnv,
  type OneDnnIdentity,
  type OneDnnLibrary,
  type OneDnnVersion,
  type ThreadControl,
} from "./loader.ts";
export {
  type Conv2DInfoLike,
  type Conv2DParams,
  conv2DParams,
  type KernelName,
  type MatMulShape,
  OneDnnKernels,
  type PrimitiveInfo,
} from "./onednn.ts";
export { OneDnnError } from "./onednn_ffi.ts";
export { type Proof, PROOF_CACHE_FILE, proveNativeLibrary, type ProveOptions } from "./prove.ts";
export type { ProbeVerdict } from "./probe.ts";
