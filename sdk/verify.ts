/**
 * Offline verification of an accountability trail (sdk/trail.ts). Every hash is recomputed from the bytes
 * the events carry and every answer's EIP-712 signature is recovered locally and compared with the signer
 * the staking contract recorded for the operator at the answer's block. The RPC is trusted only for the
 * logs and the state it returns; nothing it says about validity is taken on faith.
 */
import {
  AbiCoder,
  type ParamType,
  type Provider,
  dataSlice,
  getAddress,
  getBytes,
  isHexString,
  keccak256,
} from "ethers";
import { outputsAgree } from "./agreement.js";
import { Outcome, recoverAttestationSigner, verdictDomain, type VerdictDomain } from "./eip712.js";
import { RequestStatus, coordinatorInterface, statusName, type CommittedRequest } from "./requests.js";
import { stakingInterface, type Trail, type TrailAnswer } from "./trail.js";

/** One verified statement. */
export interface Check {
  ok: boolean;
  label: string;
  detail?: string;
}

export interface TrailVerification {
  ok: boolean;
  checks: Check[];
}

/** The operator's attestation signer at a block (staking `signerOf` at that block tag). */
export type SignerAt = (operator: string, blockNumber: number) => Promise<string>;

/** `SignerAt` reading `staking.signerOf(operator)` at the block of the answer. */
export function signerAtFromStaking(provider: Provider, staking: string): SignerAt {
  const cache = new Map<string, string>();
  return async (operator, blockNumber) => {
    const key = `${operator.toLowerCase()}@${blockNumber}`;
    const hit = cache.get(key);
    if (hit) return hit;
    const raw = await provider.call({
      to: staking,
      data: stakingInterface.encodeFunctionData("signerOf", [operator]),
      blockTag: blockNumber,
    });
    const signer = getAddress(String(stakingInterface.decodeFunctionResult("signerOf", raw)[0]));
    cache.set(key, signer);
    return signer;
  };
}

const requestParam: ParamType = (() => {
  const fn = coordinatorInterface.getFunction("commitmentOf");
  const p = fn?.inputs[0];
  if (!p) throw new Error("Coordinator ABI has no commitmentOf(Request)");
  return p;
})();

/** The 22-byte commitment the coordinator stores for a request: bytes22(keccak256(abi.encode(req))). */
export function requestCommitment(req: CommittedRequest): string {
  const encoded = AbiCoder.defaultAbiCoder().encode([requestParam], [req]);
  return dataSlice(keccak256(encoded), 0, 22);
}

export interface AttestationCheckInput {
  domain: VerdictDomain;
  requestId: bigint;
  modelHash: string;
  inputHash: string;
  answer: Pick<TrailAnswer, "index" | "outcome" | "output" | "outputHash" | "signature">;
  expectedSigner: string;
}

/**
 * Verifies one posted answer offline: the output hash is recomputed from the output bytes (or the reason
 * code for "invalid input") and the signature must recover to `expectedSigner`. Never throws.
 */
export function verifyAttestationOffline(input: AttestationCheckInput): Check[] {
  const { answer } = input;
  const checks: Check[] = [];
  const label = `answer #${answer.index}`;
  let outputHash: string | undefined;
  if (!isHexString(answer.output)) {
    checks.push({ ok: false, label: `${label}: output bytes`, detail: "not hex" });
  } else if (answer.outcome === Outcome.RESULT) {
    outputHash = keccak256(answer.output);
  } else if (answer.outcome === Outcome.INVALID_INPUT || answer.outcome === Outcome.CANNOT_SERVE) {
    outputHash = getBytes(answer.output).length === 32 ? answer.output.toLowerCase() : undefined;
  }
  const hashOk = outputHash !== undefined && outputHash === answer.outputHash.toLowerCase();
  checks.push({
    ok: hashOk,
    label: `${label}: output hash recomputed from the output`,
    detail: hashOk
      ? answer.outputHash
      : `event says ${answer.outputHash}, bytes hash to ${outputHash ?? "nothing"}`,
  });
  const outcome =
    answer.outcome === Outcome.INVALID_INPUT
      ? Outcome.INVALID_INPUT
      : answer.outcome === Outcome.CANNOT_SERVE
        ? Outcome.CANNOT_SERVE
        : Outcome.RESULT;
  let recovered: string | undefined;
  let error: string | undefined;
  try {
    recovered = recoverAttestationSigner(
      input.domain,
      {
        requestId: input.requestId,
        modelHash: input.modelHash,
        inputHash: input.inputHash,
        // The signature must cover the hash of the bytes actually delivered, not the event's claim.
        outputHash: outputHash ?? answer.outputHash,
        outcome,
      },
      answer.signature,
    );
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }
  const sigOk = recovered !== undefined && getAddress(recovered) === getAddress(input.expectedSigner);
  checks.push({
    ok: sigOk,
    label: `${label}: EIP-712 signature by the operator's signer`,
    detail: sigOk
      ? `signed by ${input.expectedSigner}`
      : (error ?? `recovered ${recovered ?? "?"}, operator's signer was ${input.expectedSigner}`),
  });
  return checks;
}

/** The request the events describe is the one the chain committed to. */
function commitmentChecks(trail: Trail): Check[] {
  const checks: Check[] = [];
  let commitment: string | undefined;
  try {
    commitment = requestCommitment(trail.created.request);
  } catch (err) {
    commitment = undefined;
    checks.push({
      ok: false,
      label: "request encodes",
      detail: err instanceof Error ? err.message : String(err),
    });
  }
  const commitOk =
    commitment !== undefined && commitment.toLowerCase() === trail.chain.commitment.toLowerCase();
  checks.push({
    ok: commitOk,
    label: "request matches the coordinator's stored commitment",
    detail: commitOk ? commitment : `stored ${trail.chain.commitment}, events give ${commitment ?? "?"}`,
  });
  return checks;
}

/** The inline input hashes to the request's input hash (a URI input cannot be checked from events). */
function inputCheck(trail: Trail): Check {
  const { created } = trail;
  if (getBytes(created.input).length > 0) {
    const h = keccak256(created.input);
    const ok = h === created.request.inputHash.toLowerCase();
    return {
      ok,
      label: "input hash recomputed from the inline input",
      detail: ok ? h : `request says ${created.request.inputHash}, input hashes to ${h}`,
    };
  }
  return {
    ok: true,
    label: "input travels by URI (hash not recomputable from events)",
    detail: created.inputURI,
  };
}

/** k distinct operators were assigned. */
function assignmentCheck(trail: Trail): Check {
  const { created } = trail;
  const req = created.request;
  const k = Number(req.redundancy);
  const distinct = new Set(req.operators.map((o) => o.toLowerCase())).size;
  if (created.assignment === undefined) {
    // Not drawn (yet): nothing may have been answered.
    return {
      ok: trail.answers.length === 0,
      label: `assignment: not drawn yet (ticket ${created.ticket}), no answers`,
    };
  }
  return {
    ok: req.operators.length === k && distinct === k,
    label: `assignment: ${k} distinct operator(s), ticket ${created.assignment.ticket}, seed ${created.seed.toString(16).slice(0, 16)}…`,
    detail: req.operators.join(", "),
  };
}

/** Each answer: from its slot's operator, once, attested by that operator's signer at its block. */
async function answerChecks(
  trail: Trail,
  signerAt: SignerAt,
): Promise<{ checks: Check[]; seen: Set<number> }> {
  const checks: Check[] = [];
  const req = trail.created.request;
  const domain = verdictDomain(trail.chainId, trail.coordinator);
  const seen = new Set<number>();
  for (const answer of trail.answers) {
    const expectedOperator = req.operators[answer.index];
    const opOk =
      expectedOperator !== undefined &&
      getAddress(expectedOperator) === getAddress(answer.operator) &&
      !seen.has(answer.index);
    seen.add(answer.index);
    checks.push({
      ok: opOk,
      label: `answer #${answer.index}: from assigned operator ${answer.operator}`,
      detail: opOk ? undefined : `slot ${answer.index} belongs to ${expectedOperator ?? "nobody"}`,
    });
    let signer: string;
    try {
      signer = await signerAt(answer.operator, answer.blockNumber);
    } catch (err) {
      checks.push({
        ok: false,
        label: `answer #${answer.index}: operator's signer at block ${answer.blockNumber}`,
        detail: err instanceof Error ? err.message : String(err),
      });
      continue;
    }
    checks.push(
      ...verifyAttestationOffline({
        domain,
        requestId: trail.requestId,
        modelHash: req.modelHash,
        inputHash: req.inputHash,
        answer,
        expectedSigner: signer,
      }),
    );
  }
  return { checks, seen };
}

/**
 * Agreement, recomputed with the model's tolerance, against what the chain concluded: every served answer
 * against the anchor (the first served answer posted), outcome first; "cannot serve" is never compared.
 */
function agreementChecks(trail: Trail): Check[] {
  const req = trail.created.request;
  const served = trail.answers.filter((a) => a.outcome !== Outcome.CANNOT_SERVE);
  const first = served[0];
  if (!first || served.length <= 1) return [];
  let disagree = false;
  for (const other of served.slice(1)) {
    if (first.outcome !== other.outcome) {
      disagree = true;
      continue;
    }
    if (first.outcome === Outcome.INVALID_INPUT) continue;
    if (other.outputHash.toLowerCase() === first.outputHash.toLowerCase()) continue;
    disagree ||= !outputsAgree(getBytes(first.output), getBytes(other.output), req.tolerance).agree;
  }
  const chainSays = trail.disagreements.length > 0;
  return [
    {
      ok: disagree === chainSays,
      label: `agreement recomputed (tolerance ${req.tolerance}): answers ${disagree ? "disagree" : "agree"}`,
      detail:
        disagree === chainSays
          ? undefined
          : `the chain ${chainSays ? "recorded" : "did not record"} a disagreement`,
    },
  ];
}

/** Money: every terminal event accounts for exactly the escrowed price; expiry penalises the silent only. */
function moneyChecks(trail: Trail, seen: ReadonlySet<number>): Check[] {
  const req = trail.created.request;
  const price = req.feePerOperator * req.redundancy;
  const s = trail.settlement;
  if (!s) return [];
  const total = s.toOperators + s.royalty + s.treasury + s.refund;
  const checks: Check[] = [
    {
      ok: total === price,
      label: `${s.event}: payouts + refund = escrowed ${price} wei`,
      detail: `operators ${s.toOperators}, royalty ${s.royalty}, treasury ${s.treasury}, refund ${s.refund}`,
    },
  ];
  if (s.event === "RequestExpired") {
    let missing = 0;
    for (let i = 0; i < Number(req.redundancy); i++) if (!seen.has(i)) missing |= 1 << i;
    checks.push({
      ok: missing === s.mask,
      label: `expired: penalised exactly the operators that did not answer (mask ${s.mask})`,
    });
  }
  return checks;
}

/** Final status: what the events imply is what the chain stores. */
function statusChecks(trail: Trail): Check[] {
  const checks: Check[] = [
    {
      ok: trail.status === trail.chain.status,
      label: `status ${statusName(trail.status)} (events) = ${statusName(trail.chain.status)} (chain)`,
    },
  ];
  if (trail.chain.status === RequestStatus.None)
    checks.push({ ok: false, label: "request known to the chain" });
  return checks;
}

/** Verifies a whole trail. `signerAt` gives each operator's signer at a block (see signerAtFromStaking). */
export async function verifyTrail(trail: Trail, opts: { signerAt: SignerAt }): Promise<TrailVerification> {
  const answers = await answerChecks(trail, opts.signerAt);
  const checks: Check[] = [
    ...commitmentChecks(trail),
    inputCheck(trail),
    assignmentCheck(trail),
    ...answers.checks,
    ...agreementChecks(trail),
    ...moneyChecks(trail, answers.seen),
    ...statusChecks(trail),
  ];
  return { ok: checks.every((c) => c.ok), checks };
}
