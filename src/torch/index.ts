// The tensor engine's public face: everything else in imagecot imports from here.
import { applyDefaultThreads } from "./runtime.js";

export * from "./creation.js";
export * as F from "./functional.js";
export * from "./nn.js";
export * from "./optim.js";
export * from "./runtime.js";
export * from "./safetensors.js";
export { type DType, type TensorLike, Tensor, dispose, liveTensors, tidy } from "./tensor.js";

applyDefaultThreads();
export { gradcheck, type GradcheckResult } from "./gradcheck.js";
