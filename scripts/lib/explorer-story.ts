/**
 * The demo's story on a local chain, told without relayer processes so a browser test can set it up in
 * seconds: honest answers, two redundant answers that differ but agree within tolerance, a lie that the
 * model's on-chain referee catches (the liar is slashed and jailed, the requester compensated), an
 * unanswered request that expires with a refund, and settlement of the honest requests. Each request is
 * drawn before it is answered: scripts/lib/devnet.ts `request` sends `assign` (as `assignBatch`) once the
 * ticket's block exists and returns the request with its operators (OperatorsAssigned). Answers are signed
 * with each operator's registered signer key (EIP-712, sdk/eip712.ts), exactly as a relayer signs them.
 * Needs the Hardhat runtime (deployment through Ignition): run under `hardhat test` or `hardhat run`.
 */
import { JsonRpcProvider, NonceManager, getBytes, hexlify, type Log } from "ethers";
import { verdictDomain } from "../../sdk/eip712.js";
import { encodeTensors } from "../../sdk/tensor.js";
import type { CreatedRequest } from "../../sdk/requests.js";
import { finalizeAll, signedAnswer, signerOf } from "./lifecycle.js";
import { delegateToPools } from "./delegators.js";
import {
  devAccount,
  generatedModel,
  inlineParams,
  request,
  rpc,
  startDevnet,
  startHardhatNode,
  type Devnet,
  type DevnetModel,
} from "./devnet.js";
import { deployIntegerReferee } from "../models/deploy-referee.js";
import { modelEntry } from "../models/manifest.js";
import {
  Disputes__factory,
  IntegerMlpReferee__factory,
  OPGToken__factory,
  type IntegerMlpReferee,
  type OPGToken,
} from "../../types/ethers-contracts/index.js";

export interface Story {
  devnet: Devnet;
  models: { mlp: string; int: string };
  /** Requests answered honestly and finalized (k = 1). */
  honest: CreatedRequest[];
  /** k = 2: the two answers differ by one unit, within the model's tolerance: no dispute. */
  agreeing: CreatedRequest;
  /** The lie: disputed, decided by the referee, corrected; its operator slashed and jailed. */
  lie: CreatedRequest;
  liar: string;
  challenger: string;
  /** Nobody answered: expired, the requester refunded in full. */
  expired: CreatedRequest;
}

async function timeTravel(d: Devnet, seconds: number): Promise<void> {
  await rpc(d.url, "evm_increaseTime", [seconds]);
  await rpc(d.url, "evm_mine", []);
}

/** Signs and posts the answer of slot `index` (anyone may post a signed answer). */
async function answer(
  d: Devnet,
  poster: NonceManager,
  c: CreatedRequest,
  index: number,
  output: Uint8Array,
  referenceOutput: Uint8Array = new Uint8Array(),
): Promise<void> {
  const signer = signerOf(d.operators, c.request.operators[index]!);
  const signed = await signedAnswer(
    signer,
    verdictDomain(d.chainId, d.addresses.coordinator),
    c,
    index,
    output,
  );
  await (
    await d.coordinator.connect(poster).submitAnswer(c.requestId, c.request, signed, referenceOutput)
  ).wait();
}

function intInput(n: number): Uint8Array {
  const x = Array.from({ length: 16 }, (_, j) => BigInt((j * 7919 + n * 104729) % 2001) - 1000n);
  return encodeTensors([{ name: "x", dtype: "int64", scale: 0, dims: [1, 16], data: x }]);
}

function mlpOutput(shift: bigint): Uint8Array {
  const y = [120_000n, -35_500n, 7_250n, 990_001n].map((v) => v + shift);
  return encodeTensors([{ name: "y", dtype: "fixed64", scale: 6, dims: [1, 4], data: y }]);
}

/** The story's chain: a node with the integer model's referee deployed, then Verdict on it. */
async function storyDevnet(
  operators: number,
): Promise<{ d: Devnet; referee: string; mlp: DevnetModel; int: DevnetModel }> {
  const node = await startHardhatNode();
  try {
    const nodeProvider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true });
    const deployed = await deployIntegerReferee(
      new NonceManager(devAccount(0, nodeProvider)),
      modelEntry("int-mlp-16x32x1"),
    );
    nodeProvider.destroy();
    // The node may have closed the idle keep-alive connection of the first RPC calls while the referee was
    // deployed: let a throw-away call meet the closed socket, not the deployment's first call.
    for (let i = 0; i < 2; i++) await rpc(node.url, "eth_chainId").catch(() => undefined);
    const int = { ...generatedModel("int-mlp-16x32x1", 0n), referee: deployed.refereeAddress };
    const mlp = generatedModel("mlp-8x16x4", 2n);
    const d = await startDevnet({ node, operators, models: [mlp, int], blockIntervalMs: 0 });
    // A devnet leaves a node it was given running: this story started the node, so its stop stops it too
    // (else the node outlives the test and keeps its process alive).
    const stopDevnet = d.stop.bind(d);
    d.stop = async () => {
      await stopDevnet();
      await node.stop();
    };
    return { d, referee: deployed.refereeAddress, mlp, int };
  } catch (e) {
    await node.stop();
    throw e;
  }
}

/**
 * The lie: the drawn operator signs a perturbed output; a challenger disputes it with a bond, the admitted
 * referee recomputes the output on chain, and once the appeal window passed the verdict settles.
 */
async function lieCaughtByReferee(
  d: Devnet,
  token: OPGToken,
  referee: IntegerMlpReferee,
  poster: NonceManager,
  int: DevnetModel,
): Promise<Pick<Story, "lie" | "liar" | "challenger">> {
  const lieInput = intInput(7);
  const lie = await request(d, inlineParams(int, lieInput));
  const truth = getBytes(await referee.evaluate(lieInput));
  const forged = Uint8Array.from(truth);
  forged[forged.length - 1] = (forged[forged.length - 1]! + 3) & 0xff;
  await answer(d, poster, lie, 0, forged);

  const challengerWallet = new NonceManager(devAccount(15, d.provider));
  const challenger = await challengerWallet.getAddress();
  const disputes = Disputes__factory.connect(d.addresses.disputes, challengerWallet);
  const bond = await disputes.bondFor(lie.request);
  await (await token.transfer(challenger, bond)).wait();
  await (
    await OPGToken__factory.connect(d.addresses.token, challengerWallet).approve(d.addresses.disputes, bond)
  ).wait();
  await (await disputes.openDispute(lie.requestId, lie.request, hexlify(truth))).wait();
  const receipt = await (await disputes.resolveByReferee(lie.requestId, lie.request, lieInput)).wait();
  const decided = (receipt!.logs as Log[])
    .map((l) => disputes.interface.parseLog(l))
    .find((x) => x?.name === "RefereeDecided");
  if (!decided) throw new Error("the referee decided nothing");
  const latest = await d.provider.getBlock("latest");
  await timeTravel(d, Number(decided.args.appealDeadline) - latest!.timestamp + 1);
  await (
    await disputes.settleReferee(lie.requestId, lie.request, decided.args.outcome, decided.args.output)
  ).wait();
  return { lie, liar: lie.request.operators[0]!, challenger };
}

/** Starts a node, deploys Verdict, and plays the story. Stop it with `story.devnet.stop()`. */
export async function tellStory(options: { operators?: number } = {}): Promise<Story> {
  const { d, referee: refereeAddress, mlp, int } = await storyDevnet(options.operators ?? 5);
  try {
    const token = OPGToken__factory.connect(d.addresses.token, new NonceManager(devAccount(0, d.provider)));
    const referee = IntegerMlpReferee__factory.connect(refereeAddress, d.provider);
    const poster = new NonceManager(devAccount(16, d.provider));
    await delegateToPools(d, token); // delegators give each pool outside stake (as in the demo)

    // Honest answers: the referee's own output is the right answer of the integer model.
    const honest: CreatedRequest[] = [];
    for (let n = 0; n < 4; n++) {
      const input = intInput(n);
      const c = await request(d, inlineParams(int, input));
      await answer(d, poster, c, 0, getBytes(await referee.evaluate(input)));
      honest.push(c);
    }

    // Two answers that differ by one unit each: within tolerance 2, so no dispute.
    const agreeing = await request(d, inlineParams(mlp, intInput(100), { redundancy: 2 }));
    await answer(d, poster, agreeing, 0, mlpOutput(0n));
    await answer(d, poster, agreeing, 1, mlpOutput(1n), mlpOutput(0n));

    const lied = await lieCaughtByReferee(d, token, referee, poster, int);

    // Nobody answers this one: after the deadline anyone expires it and the requester is refunded.
    const expired = await request(d, inlineParams(mlp, intInput(200)));
    await timeTravel(d, 11 * 60);
    await (await d.coordinator.connect(poster).expire(expired.requestId, expired.request)).wait();

    // Settlement of the answered requests.
    await (await finalizeAll(d.coordinator.connect(poster), [...honest, agreeing])).wait();
    return { devnet: d, models: { mlp: mlp.hash, int: int.hash }, honest, agreeing, ...lied, expired };
  } catch (e) {
    await d.node.stop();
    throw e;
  }
}
