/**
 * Where a tool starts from: the deployment file `npm run deploy` writes (deployments/<chainId>.json: chain id,
 * the block logs start at, every address) or the coordinator's address alone (the coordinator knows its
 * staking, registry, dispute contract and fee token). Every address is checked on chain before use, with a
 * typed error per setup mistake: NO_CODE (nothing deployed there: wrong address or wrong chain),
 * WRONG_CONTRACT (a contract, but not the expected kind: its identifying view is missing or different),
 * CONTRACT_MISMATCH (a configured address that is not the one the coordinator uses).
 * ABIs here are the few identifying views only (human-readable), so this module needs no build.
 */
import { readFileSync } from "node:fs";
import { Interface, type Provider, ZeroAddress, getAddress, isAddress } from "ethers";
import { ATTESTATION_TYPEHASH } from "./eip712.js";
import { VerdictError } from "./errors.js";

/** The protocol's addresses a tool needs; `disputes` and `token` when known. */
export interface DeploymentAddresses {
  coordinator: string;
  staking: string;
  registry: string;
  disputes?: string;
  token?: string;
}

/** A deployment file as `npm run deploy` writes it. */
export interface Deployment {
  chainId: bigint;
  /** The block logs are read from (the block before the first deployment transaction). */
  startBlock: number;
  addresses: DeploymentAddresses;
  /** Every address the file lists, by contract name. */
  all: Record<string, string>;
}

/** A setup mistake found before anything was sent (typed code, one sentence). */
export class SetupError extends VerdictError {
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super(code, message, details);
    this.name = "SetupError";
  }
}

/** Reads and checks a deployment file (DEPLOYMENT_UNREADABLE / DEPLOYMENT_INVALID). */
export function readDeployment(file: string): Deployment {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? "not JSON";
    throw new SetupError("DEPLOYMENT_UNREADABLE", `deployment file ${file} is unreadable (${why})`, { file });
  }
  return parseDeployment(json, file);
}

/** Checks the shape of a deployment record (DEPLOYMENT_INVALID naming the first bad field). */
export function parseDeployment(json: unknown, file = "deployment"): Deployment {
  const bad = (what: string): never => {
    throw new SetupError("DEPLOYMENT_INVALID", `${file}: ${what}`, { file });
  };
  if (json === null || typeof json !== "object") return bad("not an object");
  const o = json as Record<string, unknown>;
  const chainId = o.chainId;
  if (!(typeof chainId === "number" && Number.isSafeInteger(chainId) && chainId > 0))
    return bad("chainId must be a positive integer");
  const startBlock = o.startBlock;
  if (!(typeof startBlock === "number" && Number.isSafeInteger(startBlock) && startBlock >= 0))
    return bad("startBlock must be a block number");
  const addrs = o.addresses;
  if (addrs === null || typeof addrs !== "object") return bad("addresses missing");
  const all: Record<string, string> = {};
  for (const [name, v] of Object.entries(addrs as Record<string, unknown>)) {
    if (typeof v !== "string" || !isAddress(v)) return bad(`addresses.${name} is not an address`);
    all[name] = getAddress(v);
  }
  for (const need of ["coordinator", "staking", "registry"]) if (!all[need]) bad(`addresses.${need} missing`);
  const addresses: DeploymentAddresses = {
    coordinator: all.coordinator as string,
    staking: all.staking as string,
    registry: all.registry as string,
  };
  if (all.disputes) addresses.disputes = all.disputes;
  if (all.token) addresses.token = all.token;
  return { chainId: BigInt(chainId), startBlock, addresses, all };
}

const views = new Interface([
  "function ATTESTATION_TYPEHASH() view returns (bytes32)",
  "function staking() view returns (address)",
  "function registry() view returns (address)",
  "function disputeHook() view returns (address)",
  "function feeToken() view returns (address)",
  "function coordinator() view returns (address)",
  "function signerOf(address) view returns (address)",
  "function modelCount() view returns (uint256)",
]);

/** The identifying view of each contract kind. */
const KIND = {
  staking: "signerOf",
  registry: "modelCount",
  disputes: "coordinator",
  token: undefined,
} as const satisfies Record<"staking" | "registry" | "disputes" | "token", string | undefined>;

async function view(provider: Provider, to: string, fn: string, args: unknown[] = []): Promise<unknown> {
  const data = await provider.call({ to, data: views.encodeFunctionData(fn, args) });
  return views.decodeFunctionResult(fn, data)[0];
}

/** NO_CODE unless a contract is deployed at `address` (`role` names it in the message). */
export async function requireCode(provider: Provider, address: string, role: string): Promise<void> {
  if ((await provider.getCode(address)) !== "0x") return;
  const { chainId } = await provider.getNetwork();
  throw new SetupError(
    "NO_CODE",
    `no contract at the ${role} address ${address} on chain ${chainId}: a wrong address, or the wrong chain`,
    { role, address, chainId: chainId.toString() },
  );
}

/** WRONG_CONTRACT unless `address` answers the identifying view `fn` (and `accept` likes the answer). */
async function requireKind(
  provider: Provider,
  address: string,
  role: string,
  fn: string,
  accept: (v: unknown) => boolean = () => true,
): Promise<unknown> {
  let v: unknown;
  try {
    v = await view(provider, address, fn, fn === "signerOf" ? [ZeroAddress] : []);
  } catch (e) {
    if (e instanceof VerdictError) throw e;
    const code = (e as { code?: unknown }).code;
    // A network failure is not a wrong contract: let it through as it is.
    if (code !== "CALL_EXCEPTION" && code !== "BAD_DATA") throw e;
    v = undefined;
  }
  if (v === undefined || !accept(v)) {
    throw new SetupError(
      "WRONG_CONTRACT",
      `the contract at the ${role} address ${address} is not a Verdict ${role} (it does not answer ${fn}() as one)`,
      { role, address, view: fn },
    );
  }
  return v;
}

/**
 * The protocol's addresses as the coordinator at `coordinator` knows them, each checked: code exists, the
 * coordinator is a Verdict coordinator (its ATTESTATION_TYPEHASH is the protocol's), staking and registry
 * answer their identifying views, the dispute contract (when wired) names this coordinator. Addresses in
 * `expected` (from a configuration or a deployment file) must equal the coordinator's: CONTRACT_MISMATCH.
 */
export async function resolveDeployment(
  provider: Provider,
  coordinator: string,
  expected: Partial<DeploymentAddresses> = {},
): Promise<DeploymentAddresses> {
  const c = getAddress(coordinator);
  await requireCode(provider, c, "coordinator");
  await requireKind(provider, c, "coordinator", "ATTESTATION_TYPEHASH", (v) => v === ATTESTATION_TYPEHASH);
  const [staking, registry, hook, token] = (await Promise.all([
    view(provider, c, "staking"),
    view(provider, c, "registry"),
    view(provider, c, "disputeHook"),
    view(provider, c, "feeToken"),
  ])) as string[];
  const out: DeploymentAddresses = {
    coordinator: c,
    staking: getAddress(staking as string),
    registry: getAddress(registry as string),
    token: getAddress(token as string),
  };
  if (hook && hook !== ZeroAddress) out.disputes = getAddress(hook);
  for (const role of ["staking", "registry", "disputes", "token"] as const) {
    const want = expected[role];
    if (want === undefined) continue;
    const w = getAddress(want);
    if (w === out[role]) continue;
    await requireCode(provider, w, role);
    const kind = KIND[role];
    if (kind) await requireKind(provider, w, role, kind);
    throw new SetupError(
      "CONTRACT_MISMATCH",
      `the configured ${role} address ${w} is not the ${role} contract of coordinator ${c} (which uses ${out[role] ?? "none"})`,
      { role, configured: w, coordinator: c, actual: out[role] ?? null },
    );
  }
  await requireCode(provider, out.staking, "staking");
  await requireKind(provider, out.staking, "staking", KIND.staking);
  await requireCode(provider, out.registry, "registry");
  await requireKind(provider, out.registry, "registry", KIND.registry);
  if (out.disputes !== undefined) {
    await requireCode(provider, out.disputes, "disputes");
    await requireKind(provider, out.disputes, "disputes", KIND.disputes, (v) => getAddress(String(v)) === c);
  }
  return out;
}
