/**
 * A request's life as the scripts and the explorer's story play it without relayer processes: the answer of a
 * slot, signed (EIP-712, sdk/eip712.ts) with the operator's registered signer key as a relayer signs it, and
 * the settlement of answered requests in one batch.
 */
import { Wallet, keccak256, type Provider, type Signer, type TypedDataDomain } from "ethers";
import { Outcome, signAttestation } from "../../sdk/eip712.js";
import type { CreatedRequest } from "../../sdk/requests.js";
import type { Coordinator } from "../../types/ethers-contracts/index.js";
import type { DevnetOperator } from "./devnet.js";

/** The answer of slot `index`: `output` (or, for another outcome, a reason code as `outputHash`), signed. */
export async function signedAnswer(
  signer: Signer,
  domain: TypedDataDomain,
  c: Pick<CreatedRequest, "requestId" | "request">,
  index: number,
  output: Uint8Array,
  outcome: Outcome = Outcome.RESULT,
  outputHash: string = keccak256(output),
): Promise<{ index: number; outcome: Outcome; output: Uint8Array; signature: string }> {
  const signature = await signAttestation(signer, domain, {
    requestId: c.requestId,
    modelHash: c.request.modelHash,
    inputHash: c.request.inputHash,
    outputHash,
    outcome,
  });
  return { index, outcome, output, signature };
}

/** The signer wallet of operator `address` among `operators` (connected to `provider` if given). */
export function signerOf(
  operators: readonly Pick<DevnetOperator, "address" | "signerKey">[],
  address: string,
  provider?: Provider,
): Wallet {
  const op = operators.find((o) => o.address.toLowerCase() === address.toLowerCase());
  if (op === undefined) throw new Error(`operator ${address} is not in the devnet`);
  return new Wallet(op.signerKey, provider);
}

/** `finalizeBatch` of `requests`, no callback data: the transaction sent (`.wait()` it for the receipt). */
export function finalizeAll(
  coordinator: Coordinator,
  requests: readonly Pick<CreatedRequest, "requestId" | "request">[],
): ReturnType<Coordinator["finalizeBatch"]> {
  return coordinator.finalizeBatch(
    requests.map((c) => c.requestId),
    requests.map((c) => c.request),
    requests.map(() => "0x"),
  );
}
