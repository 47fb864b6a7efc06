/**
 * `npm run deploy -- --network <name>`: deploys the Ignition module deploy/Verdict.ts to the chosen network
 * and writes the deployment file tools start from: deployments/<chainId>.json with the chain id, the block
 * before the first deployment transaction (relayers and indexers read logs from there, never from genesis)
 * and every contract's address.
 *
 * Ignition journals the deployment under ignition/deployments/ (resumable: run the command again after a
 * failure and it continues where it stopped). Parameters: `VERDICT_DEPLOY_PARAMETERS=<file.json>` (see
 * deploy/Verdict.ts for the names), e.g. `{"Verdict": {"timelockDelay": 172800}}`.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { network } from "hardhat";
import VerdictModule from "../deploy/Verdict.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

interface Addressable {
  getAddress(): Promise<string>;
}

const connection = await network.getOrCreate();
const chainId = BigInt((await connection.provider.request({ method: "eth_chainId" })) as string);
const head = BigInt((await connection.provider.request({ method: "eth_blockNumber" })) as string);
const parametersFile = process.env.VERDICT_DEPLOY_PARAMETERS;
const parameters = parametersFile
  ? (JSON.parse(readFileSync(parametersFile, "utf8")) as Record<string, Record<string, unknown>>)
  : {};
console.log(`deploy: chain ${chainId} (network ${connection.networkName}), head block ${head}`);

// A local development chain (31337) starts empty each time: an old journal of it would only confuse Ignition.
if (chainId === 31337n)
  rmSync(path.join(root, "ignition/deployments/verdict-31337"), { recursive: true, force: true });
const deployed = (await connection.ignition.deploy(VerdictModule, {
  deploymentId: `verdict-${chainId}`,
  parameters: parameters as never,
})) as unknown as Record<string, Addressable>;

const addresses: Record<string, string> = {};
for (const [name, contract] of Object.entries(deployed)) addresses[name] = await contract.getAddress();
const file = path.join(root, "deployments", `${chainId}.json`);
mkdirSync(path.dirname(file), { recursive: true });
const record = {
  chainId: Number(chainId),
  network: connection.networkName,
  startBlock: Number(head),
  addresses,
};
writeFileSync(file, JSON.stringify(record, null, 2) + "\n");
for (const [name, address] of Object.entries(addresses)) console.log(`deploy: ${name.padEnd(16)} ${address}`);
console.log(`deploy: wrote ${path.relative(root, file)} (logs start at block ${head})`);
await connection.close();
