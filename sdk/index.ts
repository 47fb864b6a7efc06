export * from "./errors.js";
export * from "./tensor.js";
export * from "./agreement.js";
export * from "./eip712.js";
export * from "./json-tensors.js";
export * from "./reasons.js";
