/**
 * The operator draw as its own step (issue 16): a request takes a randomness ticket (its own block), and
 * `assign` draws its operators from that block's hash and the request id only, once the hash exists. The
 * shortcut "choose the block, then draw" is refused; anyone can recompute the draw; a request nobody could
 * draw for is refunded in full, with nobody penalised.
 */
import { expect } from "chai";
import { AbiCoder, ZeroAddress, keccak256 } from "ethers";
import { RequestStatus, unassignedRequest, type CommittedRequest } from "../../sdk/requests.js";
import { BlockhashRandomness__factory } from "../../types/ethers-contracts/index.js";
import {
  FEE,
  assignRequest,
  deployProtocol,
  increaseTime,
  makeRequest,
  type Protocol,
} from "../helpers/protocol.js";

const INPUT = new Uint8Array([0x56, 0x54, 0x4e, 0x31, 7]);
const coder = AbiCoder.defaultAbiCoder();

async function requesterBalance(p: Protocol): Promise<bigint> {
  return p.coordinator.balanceOf(await p.requester.getAddress());
}

describe("Coordinator: assignment (operator draw after the request)", function () {
  let p: Protocol;
  beforeEach(async function () {
    p = await deployProtocol({ operators: 5 });
  });

  it("keeps a request Requested with its ticket until assign draws from keccak(blockhash(ticket), id)", async function () {
    const created = await makeRequest(p, { input: INPUT, assign: false });
    const receipt = await p.ethers.provider.getTransactionReceipt(created.transactionHash);
    expect(created.ticket).to.equal(BigInt(receipt!.blockNumber)); // BlockhashRandomness: its own block
    expect(created.request.operators).to.deep.equal([]);
    const st = await p.coordinator.requestState(created.requestId);
    expect(st.status).to.equal(RequestStatus.Requested);
    expect(st.windowEnds).to.equal(created.ticket);

    const assigned = await assignRequest(p, created, p.others[0]);
    const hash = (await p.ethers.provider.getBlock(Number(created.ticket)))!.hash!;
    const seed = BigInt(keccak256(coder.encode(["bytes32", "uint256"], [hash, created.requestId])));
    expect(assigned.seed).to.equal(seed);
    expect(assigned.assignment!.ticket).to.equal(created.ticket);
    // Anyone recomputes the draw from the event's seed.
    expect(await p.staking.selectOperators(seed, 1, [])).to.deep.equal(assigned.request.operators);
    const after = await p.coordinator.requestState(created.requestId);
    expect(after.status).to.equal(RequestStatus.Assigned);
    expect(after.windowEnds).to.equal(0n);
    expect(after.commitment).to.equal(await p.coordinator.commitmentOf(assigned.request));
    // Only one assign succeeds; the batch form skips what is already assigned.
    await expect(p.coordinator.assign(created.requestId, created.request)).to.be.revertedWithCustomError(
      p.coordinator,
      "WrongStatus",
    );
    // A racing relayer's batch with the request as created skips it instead of reverting.
    expect(await p.coordinator.assignBatch.staticCall([created.requestId], [created.request])).to.equal(0n);
    await expect(p.coordinator.assign(created.requestId, assigned.request)).to.be.revertedWithCustomError(
      p.coordinator,
      "WrongStatus",
    );
    expect(await p.coordinator.assignBatch.staticCall([created.requestId], [assigned.request])).to.equal(0n);
  });

  it("refuses the shortcut: an assign in the request's own block draws nothing", async function () {
    const { ethers } = p;
    const latest = (await ethers.provider.getBlock("latest"))!;
    const deadline = BigInt(latest.timestamp) + 600n;
    const id = await p.coordinator.nextRequestId();
    // The request as it will be committed, built before it is mined (an attacker knows all of it).
    const req: CommittedRequest = {
      requester: await p.requester.getAddress(),
      callback: ZeroAddress,
      modelHash: p.modelHash,
      inputHash: keccak256(INPUT),
      feePerOperator: FEE,
      deadline,
      tolerance: 0n,
      disputeWindow: 60n,
      callbackGasLimit: 0n,
      royaltyBps: 500n,
      treasuryBps: 500n,
      redundancy: 1n,
      finality: 0n,
      operators: [],
    };
    const params = {
      modelHash: p.modelHash,
      input: INPUT,
      inputHash: "0x" + "00".repeat(32),
      inputURI: "",
      redundancy: 1,
      maxFee: FEE,
      deadline,
      callback: ZeroAddress,
      callbackGasLimit: 0,
      finality: 0,
    };
    await ethers.provider.send("evm_setAutomine", [false]);
    let requestTx, assignTx;
    try {
      requestTx = await p.coordinator.connect(p.requester).requestInference(params, { gasLimit: 500_000n });
      assignTx = await p.coordinator.connect(p.others[0]!).assign(id, req, { gasLimit: 1_000_000n });
      await ethers.provider.send("evm_mine", []);
    } finally {
      await ethers.provider.send("evm_setAutomine", [true]);
    }
    const r1 = await ethers.provider.getTransactionReceipt(requestTx.hash);
    const r2 = await ethers.provider.getTransactionReceipt(assignTx.hash);
    expect(r1!.blockNumber).to.equal(r2!.blockNumber);
    expect(r1!.status).to.equal(1);
    expect(r2!.status).to.equal(0);
    expect((await p.coordinator.requestState(id)).status).to.equal(RequestStatus.Requested);
    // Simulated at the request's block, the refusal is the typed error; in the next block the draw goes through.
    await expect(p.coordinator.assign.staticCall(id, req, { blockTag: r1!.blockNumber }))
      .to.be.revertedWithCustomError(p.coordinator, "RandomnessNotReady")
      .withArgs(r1!.blockNumber);
    await (await p.coordinator.assign(id, req)).wait();
    expect((await p.coordinator.requestState(id)).status).to.equal(RequestStatus.Assigned);
  });

  it("refunds a never-assigned request in full after its deadline, penalising nobody; no draw after the deadline", async function () {
    const before = await requesterBalance(p);
    const pools = await Promise.all(p.operators.map((o) => p.staking.poolAssets(o.address)));
    const created = await makeRequest(p, { assign: false });
    expect(await requesterBalance(p)).to.equal(before - FEE);
    await expect(p.coordinator.expire(created.requestId, created.request)).to.be.revertedWithCustomError(
      p.coordinator,
      "DeadlineNotPassed",
    );
    await increaseTime(p, 11 * 60);
    await expect(p.coordinator.assign(created.requestId, created.request))
      .to.be.revertedWithCustomError(p.coordinator, "AssignmentTooLate")
      .withArgs(created.requestId, created.request.deadline);
    expect(await p.coordinator.assignBatch.staticCall([created.requestId], [created.request])).to.equal(0n);
    await expect(p.coordinator.expire(created.requestId, created.request))
      .to.emit(p.coordinator, "RequestExpired")
      .withArgs(created.requestId, FEE, 0, 0);
    expect(await requesterBalance(p)).to.equal(before);
    expect(await Promise.all(p.operators.map((o) => p.staking.poolAssets(o.address)))).to.deep.equal(pools);
    for (const o of p.operators) expect((await p.coordinator.operatorRecord(o.address)).missed).to.equal(0n);
    const st = await p.coordinator.requestState(created.requestId);
    expect(st.status).to.equal(RequestStatus.Expired);
    expect(st.windowEnds).to.equal(0n);
    // An unassigned request cannot be answered.
    await expect(p.coordinator.expire(created.requestId, created.request)).to.be.revertedWithCustomError(
      p.coordinator,
      "WrongStatus",
    );
  });

  it("renews a ticket whose block hash expired (256 blocks) and draws from the new one", async function () {
    const created = await makeRequest(p, { assign: false });
    await p.connection.networkHelpers.mine(257);
    const tx = await p.coordinator.assign(created.requestId, created.request);
    const receipt = (await tx.wait())!;
    await expect(tx).to.emit(p.coordinator, "TicketRenewed").withArgs(created.requestId, receipt.blockNumber);
    await expect(tx).not.to.emit(p.coordinator, "OperatorsAssigned");
    const st = await p.coordinator.requestState(created.requestId);
    expect(st.status).to.equal(RequestStatus.Requested);
    expect(st.windowEnds).to.equal(BigInt(receipt.blockNumber));
    const assigned = await assignRequest(p, created);
    expect(assigned.assignment!.ticket).to.equal(BigInt(receipt.blockNumber));
    expect(assigned.request.operators).to.have.length(1);
  });

  it("stake moved while a draw is pending does not change it; a draw after the next epoch starts takes a new ticket", async function () {
    const { ethers } = p;
    const epochBlocks = Number(await p.staking.EPOCH_BLOCKS());
    // Start early in an epoch, so the request, the stake moves and the draw all fall inside it.
    const head = await ethers.provider.getBlockNumber();
    const toNext = epochBlocks - ((head + 1) % epochBlocks);
    await p.connection.networkHelpers.mine(toNext + 1);
    const pending = await makeRequest(p, { input: INPUT, redundancy: 3, assign: false });
    const late = await makeRequest(p, { input: INPUT, assign: false });
    // Anyone knows the draw from the block after the ticket on: predict it now, with the weights as they stand.
    const hash = (await ethers.provider.getBlock(Number(pending.ticket)))!.hash!;
    const seed = BigInt(keccak256(coder.encode(["bytes32", "uint256"], [hash, pending.requestId])));
    const predicted = await p.staking.selectOperators(seed, 3, []);
    // The predicted operators now leave (no new assignments for them): were stake read live, none of them
    // could be drawn any more.
    for (const addr of predicted) {
      const op = p.operators.find((o) => o.address === addr)!;
      await (await p.staking.connect(op.account).deactivate()).wait();
    }
    const drawn = await assignRequest(p, pending, p.others[1]);
    expect(drawn.request.operators).to.deep.equal([...predicted]);
    const now = await ethers.provider.getBlockNumber();
    expect(Math.floor(now / epochBlocks), "still the ticket's epoch").to.equal(
      Math.floor(Number(pending.ticket) / epochBlocks),
    );
    // The other request waits past the epoch boundary: its ticket's value was public before the new epoch's
    // weights were fixed, so it is not drawn from; a new ticket is taken and the next draw reads the new weights.
    await p.connection.networkHelpers.mine(epochBlocks);
    const tx = await p.coordinator.assign(late.requestId, late.request);
    const receipt = (await tx.wait())!;
    await expect(tx).to.emit(p.coordinator, "TicketRenewed").withArgs(late.requestId, receipt.blockNumber);
    await expect(tx).not.to.emit(p.coordinator, "OperatorsAssigned");
    const redrawn = await assignRequest(p, late);
    expect(predicted).not.to.include(redrawn.request.operators[0]);
  });

  it("draws the same way through an external source (BlockhashRandomness), which names the ticket", async function () {
    const q = await deployProtocol({ operators: 3, externalRandomness: true });
    const source = BlockhashRandomness__factory.connect(await q.coordinator.randomness(), q.ethers.provider);
    const created = await makeRequest(q, { assign: false });
    const receipt = await q.ethers.provider.getTransactionReceipt(created.transactionHash);
    expect(created.ticket).to.equal(BigInt(receipt!.blockNumber));
    const [ready] = await source.randomness(created.ticket, { blockTag: receipt!.blockNumber });
    expect(ready).to.equal(false);
    const assigned = await assignRequest(q, created);
    const hash = (await q.ethers.provider.getBlock(Number(created.ticket)))!.hash!;
    expect(assigned.seed).to.equal(
      BigInt(keccak256(coder.encode(["bytes32", "uint256"], [hash, created.requestId]))),
    );
  });

  it("assigns a batch, skipping entries that are not ready, already assigned or mismatched in status", async function () {
    const a = await makeRequest(p, { assign: false });
    const b = await makeRequest(p, { assign: false, redundancy: 3 });
    const done = await makeRequest(p);
    const tx = await p.coordinator.assignBatch(
      [a.requestId, b.requestId, done.requestId],
      [a.request, b.request, done.request],
    );
    const receipt = (await tx.wait())!;
    const events = receipt.logs
      .map((l) => p.coordinator.interface.parseLog(l))
      .filter((e) => e?.name === "OperatorsAssigned");
    expect(events.map((e) => e!.args.requestId)).to.deep.equal([a.requestId, b.requestId]);
    expect(new Set(events[1]!.args.operators as string[]).size).to.equal(3);
    await expect(
      p.coordinator.assignBatch([a.requestId], [a.request, b.request]),
    ).to.be.revertedWithCustomError(p.coordinator, "RequestMismatch");
    // A tampered request is refused, not drawn.
    const c = await makeRequest(p, { assign: false });
    await expect(
      p.coordinator.assign(c.requestId, { ...c.request, feePerOperator: 1n }),
    ).to.be.revertedWithCustomError(p.coordinator, "RequestMismatch");
    expect(unassignedRequest(done.request).operators).to.deep.equal([]);
  });
});
