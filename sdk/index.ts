/**
 * The Verdict SDK (`@verdict/sdk`): the canonical tensor encoding, EIP-712 attestations, agreement, the
 * accountability trail and its offline verification, concentration stats, the typed contracts and their
 * `as const` ABIs, and VerdictClient, which ties them to an ethers Provider or Signer.
 */
export * from "./errors.js";
export * from "./tensor.js";
export * from "./dtype.js";
export * from "./fixed.js";
export * from "./typed-arrays.js";
export * from "./agreement.js";
export * from "./eip712.js";
export * from "./json-tensors.js";
export * from "./request-uri.js";
export * from "./requests.js";
export * from "./disputes.js";
export * from "./trail.js";
export * from "./verify.js";
export * from "./stats.js";
export * from "./client.js";
export * from "./abi/index.js";
export * from "./abi/typed.js";
export * from "./abi/contracts.js";
export * from "./reasons.js";
