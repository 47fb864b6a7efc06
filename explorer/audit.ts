/**
 * The request page's checks: the SDK's `followTrail` + `verifyTrail` with signers read from staking at each
 * answer's block — exactly what `verdict audit` runs (sdk/client.ts `audit`). The scan starts at the block
 * the indexer saw the request created in. Results are cached until the request's indexed events change.
 */
import type { Provider } from "ethers";
import { followTrail, type Trail } from "../sdk/trail.js";
import { signerAtFromStaking, verifyTrail, type TrailVerification } from "../sdk/verify.js";
import { disputesAbi } from "./abis.js";
import type { ExplorerAddresses } from "./config.js";

export interface Audit {
  trail: Trail;
  verification: TrailVerification;
}

export class Auditor {
  readonly #cache = new Map<string, { key: string; audit: Audit }>();

  constructor(
    readonly provider: Provider,
    readonly addresses: ExplorerAddresses,
  ) {}

  /** Audits `requestId` (created at `fromBlock`); `version` identifies the indexed state (cache key). */
  async audit(requestId: bigint, fromBlock: number, version: string): Promise<Audit> {
    const id = requestId.toString();
    const hit = this.#cache.get(id);
    if (hit?.key === version) return hit.audit;
    const a = this.addresses;
    const trail = await followTrail(
      {
        provider: this.provider,
        coordinator: a.coordinator,
        staking: a.staking,
        fromBlock,
        ...(a.disputes ? { disputes: { address: a.disputes, abi: disputesAbi } } : {}),
      },
      requestId,
    );
    const verification = await verifyTrail(trail, {
      signerAt: signerAtFromStaking(this.provider, a.staking),
    });
    const audit = { trail, verification };
    if (this.#cache.size > 500) this.#cache.clear();
    this.#cache.set(id, { key: version, audit });
    return audit;
  }
}
