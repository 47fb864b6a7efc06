/**
 * The relayer's dispute keeper applies an on-chain referee's verdict (relayer/chain/juror.ts): a liar who
 * counts on nobody calling `settleReferee` after the appeal window (before, the demo did it by hand) is
 * slashed by the relayer that disputed it, which gets its bond and reward back. Against the real EVM, the
 * real Disputes contract and a real integer referee.
 */
import { expect } from "chai";
import { keccak256, parseEther, type JsonRpcProvider } from "ethers";
import { pino } from "pino";
import { encodeTensors } from "../../sdk/tensor.js";
import type { CreatedRequest } from "../../sdk/requests.js";
import { DisputeDuties, Phase } from "../../relayer/chain/juror.js";
import type { Computer } from "../../relayer/chain/compute.js";
import { ChainDb } from "../../relayer/db/requests.js";
import { DutiesDb } from "../../relayer/db/duties.js";
import { FEE, assigned, makeRequest, signedAnswer } from "../helpers/protocol.js";
import {
  deployDisputeProtocol,
  fundChallenger,
  integerInput,
  refereeDecides,
  registerRefereeModel,
  type DisputeProtocol,
  type RefereeModel,
} from "../helpers/disputes.js";

const NAME = "int-mlp-16x32x1";

describe("Relayer keeper: the on-chain referee's verdict is applied after its appeal window", function () {
  let p: DisputeProtocol;
  let model: RefereeModel;
  let input: Uint8Array;
  let truth: string;
  let duties: DutiesDb;
  let chainDb: ChainDb;

  beforeEach(async function () {
    p = await deployDisputeProtocol({ operators: 6 });
    model = await registerRefereeModel(p, NAME);
    input = integerInput(
      model.entry,
      Array.from({ length: 16 }, (_, i) => BigInt(i * 53 - 400)),
    );
    truth = await model.referee.evaluate(input);
    duties = DutiesDb.open(":memory:");
    chainDb = ChainDb.open(":memory:");
  });

  afterEach(function () {
    duties.close();
    chainDb.close();
  });

  /** A request answered with a lie, disputed (with the truth) by the keeper's signer, refereed. */
  async function refereedLie(): Promise<{
    created: CreatedRequest;
    liar: string;
    keeper: DisputeDuties;
    keeperAddress: string;
    appealDeadline: bigint;
  }> {
    const lie = encodeTensors([{ name: "y", dtype: "int64", scale: 0, dims: [1, 1], data: [9n] }]);
    const created = await makeRequest(
      { ...p, modelHash: model.modelHash },
      { input, redundancy: 1, maxFee: FEE * 8n },
    );
    const liar = assigned(p, created, 0);
    await (
      await p.coordinator.submitAnswer(
        created.requestId,
        created.request,
        await signedAnswer(p, created, 0, lie),
        "0x",
      )
    ).wait();
    // The relayer is another operator: its signer key files the dispute and keeps it.
    const op = p.operators.find((o) => o.address !== liar.address)!;
    const wallet = op.signer.connect(p.ethers.provider);
    await fundChallenger(p, wallet, parseEther("100000"));
    await (await p.disputes.connect(wallet).openDispute(created.requestId, created.request, truth)).wait();
    duties.track(created.requestId, "challenger");
    const keeper = new DisputeDuties({
      provider: p.ethers.provider as unknown as JsonRpcProvider,
      signer: wallet,
      duties,
      computer: undefined as unknown as Computer, // keeping a dispute never re-executes
      chainDb,
      logger: pino({ level: "silent" }),
      coordinator: await p.coordinator.getAddress(),
      operator: op.address,
      confirmations: 0,
      startBlock: 0,
      juror: false,
    });
    const decided = await refereeDecides(p, created, input);
    return {
      created,
      liar: liar.address,
      keeper,
      keeperAddress: wallet.address,
      appealDeadline: decided.appealDeadline,
    };
  }

  const head = async (): Promise<{ number: number; timestamp: number }> => {
    const b = await p.ethers.provider.getBlock("latest");
    return { number: b!.number, timestamp: b!.timestamp };
  };

  it("nothing before the deadline; after it the keeper settles: the liar is slashed, the keeper paid", async function () {
    const { created, liar, keeper, keeperAddress, appealDeadline } = await refereedLie();
    const pool0 = await p.staking.poolAssets(liar);
    const tokens0 = await p.token.balanceOf(keeperAddress);

    // Inside the appeal window the verdict is left alone (the liar could still appeal it).
    let h = await head();
    await keeper.run(h.number, h.timestamp);
    expect((await p.disputes.disputeOf(created.requestId)).phase).to.equal(BigInt(Phase.Refereed));
    expect(await p.staking.poolAssets(liar)).to.equal(pool0);

    // The window closes unappealed: the keeper's next round applies the verdict and claims its credits.
    await p.connection.networkHelpers.time.increaseTo(appealDeadline + 1n);
    h = await head();
    await keeper.run(h.number, h.timestamp);
    const d = await p.disputes.disputeOf(created.requestId);
    expect(d.phase).to.equal(BigInt(Phase.Settled));
    const resolved = await p.disputes.queryFilter(p.disputes.filters.DisputeResolved(created.requestId));
    expect(resolved).to.have.length(1);
    expect(resolved[0]!.args.outputHash).to.equal(keccak256(truth));
    expect(await p.staking.poolAssets(liar)).to.be.lessThan(pool0); // the liar lost stake
    expect(await p.disputes.claimable(keeperAddress)).to.equal(0n); // claimed by the keeper
    expect(await p.token.balanceOf(keeperAddress)).to.be.greaterThan(tokens0); // bond back + reward
    expect(duties.activeTracked()).to.deep.equal([]); // done with it

    // Another round changes nothing (settled disputes are not kept).
    h = await head();
    await keeper.run(h.number, h.timestamp);
    expect(
      await p.disputes.queryFilter(p.disputes.filters.DisputeResolved(created.requestId)),
    ).to.have.length(1);
  });

  it("an appealed verdict is not applied: the committee decides instead", async function () {
    const { created, liar, keeper } = await refereedLie();
    const appellant = p.operators.find((o) => o.address === liar)!.account;
    await fundChallenger(p, appellant, parseEther("100000"));
    await (await p.disputes.connect(appellant).appealReferee(created.requestId, created.request)).wait();
    const d0 = await p.disputes.disputeOf(created.requestId);
    await p.connection.networkHelpers.time.increaseTo(d0.arbiterDeadline + 1n);
    const h = await head();
    await keeper.run(h.number, h.timestamp);
    expect((await p.disputes.disputeOf(created.requestId)).phase).to.not.equal(BigInt(Phase.Settled));
    expect(
      await p.disputes.queryFilter(p.disputes.filters.DisputeResolved(created.requestId)),
    ).to.have.length(0);
  });
});
