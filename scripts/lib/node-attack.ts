/**
 * The operator node under attack (issue 20), replayed against the REAL relayer process: a hardhat node,
 * the protocol deployed through Ignition (scripts/lib/devnet.ts), hostile models registered next to an
 * honest one, and helpers to send hostile requests (a non-UTF-8 input URI included), time honest ones and
 * read what the operators lost. Used by test/relayer/under-attack.test.ts and scripts/bench/attacks/* (a test and benchmark helper: it
 * lives outside the relayer's production tree).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Interface, formatEther, hexlify, keccak256, type JsonFragment } from "ethers";
import {
  coordinatorInterface,
  createdRequestIn,
  requestGasLimit,
  type CreatedRequest,
} from "../../sdk/requests.js";
import { sleep } from "../../sdk/retry.js";
import { encodeTensors, toFixed } from "../../sdk/tensor.js";
import { Staking__factory } from "../../types/ethers-contracts/index.js";
import {
  FEE,
  REPO_ROOT,
  generatedModel,
  inlineParams,
  request,
  startDevnet,
  startRelayerProcess,
  type Devnet,
  type DevnetModel,
  type RelayerProcess,
} from "./devnet.js";
import { ANSWER_SUBMITTED } from "../../relayer/chain/sync.js";
import { sha256Hex } from "../../relayer/models/cache.js";
import { endlessLoopModel, exfiltrationModel, hugeAllocationModel } from "./hostile-onnx.js";

/** A model file written to `dir` and described for registration. */
function hostileModel(dir: string, name: string, bytes: Uint8Array, schema: object): DevnetModel {
  mkdirSync(path.join(dir, "models"), { recursive: true });
  const file = path.join(dir, "models", `${name}.onnx`);
  writeFileSync(file, bytes);
  return {
    name,
    file,
    hash: "0x" + sha256Hex(bytes),
    ioSchema: JSON.stringify(schema),
    outputScale: 0,
    tolerance: 0n,
  };
}

export interface AttackBed {
  devnet: Devnet;
  dir: string;
  honest: DevnetModel;
  exfil: DevnetModel;
  exfilAbsolute: DevnetModel;
  endless: DevnetModel;
  huge: DevnetModel;
  /** What the relayer must never publish (its signer key, as written in its `.env`). */
  secret: string;
  relayers: RelayerProcess[];
  /** Where requesters' file:// inputs may live (the relayers allow it, and the model directories). */
  inputsDir: string;
  startRelayer(i: number, extra?: Record<string, string>): RelayerProcess;
  stop(): Promise<void>;
}

/** A devnet with `operators` operators and the hostile models registered. */
export async function attackBed(operators = 1): Promise<AttackBed> {
  const dir = mkdtempSync(path.join(tmpdir(), "verdict-attack-"));
  const honest = generatedModel("mlp-8x16x4");
  const exfil = hostileModel(dir, "exfil", exfiltrationModel(64, ".env"), {
    inputs: [{ name: "x", dtype: "uint8", shape: [1] }],
    outputs: [{ name: "y", dtype: "uint8", shape: [64] }],
  });
  const exfilAbsolute = hostileModel(dir, "exfil-abs", exfiltrationModel(64, path.join(dir, ".env"), true), {
    inputs: [{ name: "x", dtype: "uint8", shape: [1] }],
    outputs: [{ name: "y", dtype: "uint8", shape: [64] }],
  });
  const endless = hostileModel(dir, "endless", endlessLoopModel(), {
    inputs: [{ name: "n", dtype: "int64", shape: [] }],
    outputs: [{ name: "y", dtype: "int64", shape: [1] }],
  });
  const huge = hostileModel(dir, "huge", hugeAllocationModel(), {
    inputs: [{ name: "shape", dtype: "int64", shape: [2] }],
    outputs: [{ name: "y", dtype: "float32", shape: [] }],
  });
  // A node start can lose a race for its port on a busy machine ("other side closed"): try again.
  let devnet: Devnet | undefined;
  for (let attempt = 1; devnet === undefined; attempt++) {
    try {
      devnet = await startDevnet({ operators, models: [honest, exfil, exfilAbsolute, endless, huge] });
    } catch (e) {
      if (attempt >= 3) throw e;
      await sleep(2_000);
    }
  }
  const secretKey = devnet.operators[0]!.signerKey;
  const secret = `VERDICT_SIGNER_KEY=${secretKey}`;
  writeFileSync(path.join(dir, ".env"), secret + "\n");
  const relayers: RelayerProcess[] = [];
  return {
    devnet,
    dir,
    honest,
    exfil,
    exfilAbsolute,
    endless,
    huge,
    secret,
    relayers,
    inputsDir: path.join(dir, "inputs"),
    startRelayer(i, extra = {}) {
      mkdirSync(path.join(dir, "inputs"), { recursive: true });
      const r = startRelayerProcess(
        devnet.relayerEnv(i, {
          VERDICT_DATA_DIR: path.join(dir, `relayer-${i}`),
          VERDICT_POLL_INTERVAL_MS: "100",
          // file:// only for the model directories and the requesters' input directory: never the
          // directory holding `.env` or the data directory.
          VERDICT_FETCH_FILE_DIRS: [
            path.join(REPO_ROOT, "models"),
            path.join(dir, "models"),
            path.join(dir, "inputs"),
          ].join(","),
          ...extra,
        }),
      );
      relayers.push(r);
      return r;
    },
    async stop() {
      for (const r of relayers.splice(0)) await r.kill();
      await devnet.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The honest MLP's inline input (a different one per `i`). */
export function honestInput(i: number): Uint8Array {
  const x = Array.from({ length: 8 }, (_, k) => ((i * 7 + k * 3) % 17) / 17 - 0.5);
  return encodeTensors([{ name: "x", dtype: "fixed64", scale: 6, dims: [1, 8], data: toFixed(x, 6) }]);
}

export const int64Input = (name: string, dims: number[], values: bigint[]): Uint8Array =>
  encodeTensors([{ name, dtype: "int64", scale: 0, dims, data: values }]);

export const uint8Input = (name: string, dims: number[], values: bigint[]): Uint8Array =>
  encodeTensors([{ name, dtype: "uint8", scale: 0, dims, data: values }]);

export interface OnChainAnswer {
  requestId: bigint;
  operator: string;
  outcome: number;
  output: string;
}

/** Every AnswerSubmitted since `fromBlock`. */
export async function answersSince(devnet: Devnet, fromBlock: number): Promise<OnChainAnswer[]> {
  const logs = await devnet.provider.getLogs({
    address: devnet.addresses.coordinator,
    fromBlock,
    toBlock: "latest",
    topics: [ANSWER_SUBMITTED],
  });
  return logs.flatMap((log) => {
    const p = coordinatorInterface.parseLog({ topics: [...log.topics], data: log.data });
    if (p === null) return [];
    return [
      {
        requestId: BigInt(p.args.requestId as bigint),
        operator: String(p.args.operator),
        outcome: Number(p.args.outcome),
        output: String(p.args.output),
      },
    ];
  });
}

/** Waits until `id` is answered (ms from now), or undefined after `timeoutMs`. */
export async function answeredWithin(
  devnet: Devnet,
  id: bigint,
  fromBlock: number,
  timeoutMs: number,
): Promise<OnChainAnswer | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const a = (await answersSince(devnet, fromBlock)).find((x) => x.requestId === id);
    if (a !== undefined) return a;
    await sleep(100);
  }
  return undefined;
}

/**
 * Sends `count` honest requests one after the other and returns each one's latency (request mined →
 * answer seen, ms); a request not answered in `timeoutMs` counts as stalled (latency Infinity).
 */
export async function honestLatencies(bed: AttackBed, count: number, timeoutMs: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const from = await bed.devnet.provider.getBlockNumber();
    const c = await request(bed.devnet, inlineParams(bed.devnet.models[bed.honest.name]!, honestInput(i)));
    const t = performance.now();
    const a = await answeredWithin(bed.devnet, c.requestId, from, timeoutMs);
    out.push(a === undefined ? Number.POSITIVE_INFINITY : performance.now() - t);
  }
  return out;
}

/** The p-th percentile (0..100) of `xs`. */
export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? 0;
}

/**
 * A request whose input URI is the raw `uri` bytes (any bytes: the ABI's `string` and `bytes` encode
 * alike, so the SDK's UTF-8 encoder is bypassed), sent by the devnet's requester.
 */
export async function requestWithRawUri(
  devnet: Devnet,
  model: { hash: string },
  input: Uint8Array,
  uri: Uint8Array,
  extra: Partial<Parameters<typeof inlineParams>[2]> = {},
): Promise<CreatedRequest> {
  const f = coordinatorInterface.getFunction("requestInference")!;
  interface Param {
    name?: string;
    type?: string;
    components?: Param[];
  }
  const json = JSON.parse(f.format("json")) as JsonFragment & { inputs?: Param[] };
  const patch = (p: Param): Param =>
    p.name === "inputURI"
      ? { ...p, type: "bytes" }
      : { ...p, ...(p.components ? { components: p.components.map(patch) } : {}) };
  const iface = new Interface([{ ...json, inputs: json.inputs?.map(patch) }]);
  const params = {
    ...inlineParams(model, new Uint8Array(), { inputHash: keccak256(input), ...extra }),
    inputURI: hexlify(uri),
  };
  const data = f.selector + iface.encodeFunctionData("requestInference", [params]).slice(10);
  const tx = await devnet.requesterWallet.sendTransaction({
    to: devnet.addresses.coordinator,
    data,
    gasLimit: requestGasLimit(1_000_000n),
  });
  const r = await tx.wait();
  if (r === null || r.status !== 1) throw new Error("raw-URI request reverted");
  return createdRequestIn(r.logs);
}

/** Sum over `operators` of the pool assets each lost since `before` (OPG, as a number). */
export async function stakeLoss(devnet: Devnet, before: readonly bigint[]): Promise<number> {
  const staking = Staking__factory.connect(devnet.addresses.staking, devnet.provider);
  let lost = 0n;
  for (let i = 0; i < before.length; i++) {
    const now = await staking.poolAssets(devnet.operators[i]!.address);
    if (now < before[i]!) lost += before[i]! - now;
  }
  return Number(formatEther(lost));
}

export async function stakes(devnet: Devnet): Promise<bigint[]> {
  const staking = Staking__factory.connect(devnet.addresses.staking, devnet.provider);
  return Promise.all(devnet.operators.map((o) => staking.poolAssets(o.address)));
}

/** The requester's prepaid escrow balance (wei). */
export async function requesterBalance(devnet: Devnet): Promise<bigint> {
  return devnet.coordinator.balanceOf(devnet.requester.address);
}

export { FEE };

/**
 * A request no honest operator can serve: gives the operators `waitMs` to answer it anyway, then expires it
 * once its deadline has passed (`expireAfterDeadline`).
 */
export async function expireUnserved(
  devnet: Devnet,
  created: { requestId: bigint; request: CommittedRequestLike },
  fromBlock: number,
  waitMs: number,
): Promise<void> {
  await answeredWithin(devnet, created.requestId, fromBlock, waitMs);
  await expireAfterDeadline(devnet, created.requestId, created.request);
}

/**
 * After `id`'s deadline (time moved forward on the devnet), anyone's `expire`: today's coordinator
 * penalises every assigned operator that missed it. Returns whether it expired (false: it was answered).
 */
export async function expireAfterDeadline(
  devnet: Devnet,
  id: bigint,
  request: CommittedRequestLike,
): Promise<boolean> {
  const { rpc } = await import("./devnet.js");
  const head = await devnet.provider.getBlock("latest");
  const wait = Number(request.deadline) - (head?.timestamp ?? 0) + 1;
  if (wait > 0) await rpc(devnet.url, "evm_increaseTime", [wait]);
  await rpc(devnet.url, "evm_mine", []);
  try {
    const tx = await devnet.coordinator.expire(id, request);
    await tx.wait();
    return true;
  } catch {
    return false;
  } finally {
    devnet.requesterWallet.reset();
  }
}

export type CommittedRequestLike = Parameters<Devnet["coordinator"]["expire"]>[1] & { deadline: bigint };

/** Gives every operator's signer `amount` OPG (to bond disputes as a challenger). */
export async function fundSigners(devnet: Devnet, amount: bigint): Promise<void> {
  const { devAccount } = await import("./devnet.js");
  const { OPGToken__factory } = await import("../../types/ethers-contracts/index.js");
  const token = OPGToken__factory.connect(devnet.addresses.token, devAccount(0, devnet.provider));
  for (const o of devnet.operators) await (await token.transfer(o.signerAddress, amount)).wait();
}

/** A deadline `seconds` after the devnet's latest block (for requests an attack lets run out). */
export async function deadlineIn(devnet: Devnet, seconds: number): Promise<bigint> {
  const head = await devnet.provider.getBlock("latest");
  return BigInt((head?.timestamp ?? 0) + seconds);
}

/** What an attack is scored against: the stakes, the requester's balance and the block before it. */
export interface Ledger {
  /** The block the attack starts from (for answers and logs since). */
  readonly from: number;
  /** OPG the operators' pools lost since the ledger was opened. */
  stakeLoss(): Promise<number>;
  /** The requester's net in OPG since the ledger was opened, plus `paidElsewhere` (fees not the attack's). */
  requesterNetOpg(paidElsewhere?: bigint): Promise<number>;
}

export async function openLedger(devnet: Devnet): Promise<Ledger> {
  const before = await stakes(devnet);
  const balance = await requesterBalance(devnet);
  const from = await devnet.provider.getBlockNumber();
  return {
    from,
    stakeLoss: () => stakeLoss(devnet, before),
    requesterNetOpg: async (paidElsewhere = 0n) =>
      Number(formatEther((await requesterBalance(devnet)) - balance + paidElsewhere)),
  };
}

/**
 * Runs `fn` on a fresh bed with `operators` operators whose relayer processes (each with `env`) follow the
 * chain; the bed is stopped however `fn` ends. `prepare` runs on the bed before the relayers start.
 */
export async function withRunningBed<T>(
  opts: { operators?: number; env?: Record<string, string>; prepare?: (bed: AttackBed) => Promise<void> },
  fn: (bed: AttackBed) => Promise<T>,
): Promise<T> {
  const operators = opts.operators ?? 1;
  const bed = await attackBed(operators);
  try {
    await opts.prepare?.(bed);
    const relayers = Array.from({ length: operators }, (_, i) => bed.startRelayer(i, opts.env));
    for (const r of relayers) await r.waitFor((l) => l.includes("chain loop started"), 120_000);
    return await fn(bed);
  } finally {
    await bed.stop();
  }
}
