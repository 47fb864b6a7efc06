import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { StoreError } from "../../relayer/errors.js";
import { RelayerDb, SCHEMA_VERSION, isLegalTransition, type ComputedPayload } from "../../relayer/db/jobs.js";
import { DutiesDb } from "../../relayer/db/duties.js";
import { ChainDb } from "../../relayer/db/requests.js";

const h = (n: number): string => "0x" + n.toString(16).padStart(64, "0");
const sig = "0x" + "ab".repeat(65);
const computed = (n = 1): ComputedPayload => ({
  outcome: 0,
  output: new Uint8Array([0x56, 0x54, 0x4e, 0x31, n]),
  outputHash: h(1000 + n),
  signature: sig,
});

function expectStoreCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(StoreError);
    expect((e as StoreError).code).to.equal(code);
    return;
  }
  expect.fail(`expected ${code}`);
}

describe("relayer job store (node:sqlite)", function () {
  let dir: string;
  let file: string;
  let db: RelayerDb;

  beforeEach(function () {
    dir = mkdtempSync(path.join(tmpdir(), "verdict-db-"));
    file = path.join(dir, "sub", "relayer.db");
    db = RelayerDb.open(file);
  });

  afterEach(function () {
    if (db.isOpen) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("opens in WAL mode with synchronous=NORMAL at the current schema version", function () {
    expect(db.pragma("journal_mode")).to.equal("wal");
    expect(db.pragma("synchronous")).to.equal("1"); // NORMAL: durable across process crashes
    expect(db.schemaVersion).to.equal(SCHEMA_VERSION);
  });

  it("batches many transitions in one commit; a failing transition inside rolls back only itself", function () {
    const ids = [1n, 2n, 3n];
    db.batch(() => {
      for (const id of ids) db.addJob({ requestId: id, modelHash: h(1), inputHash: h(2), seenBlock: 1 });
      expect(db.inTransaction).to.equal(true);
      db.markComputed(1n, computed());
      // An illegal move inside the batch throws and leaves job 2 pending; the batch goes on.
      expectStoreCode(() => db.markConfirmed(2n, 5), "JOB_ILLEGAL_TRANSITION");
      db.markComputed(3n, computed());
    });
    expect(db.inTransaction).to.equal(false);
    db.close();
    db = RelayerDb.open(file);
    expect(ids.map((id) => db.getJob(id)?.state)).to.deep.equal(["computed", "pending", "computed"]);
    // A throw escaping the batch rolls back every write in it.
    expect(() =>
      db.batch(() => {
        db.markSubmitted(1n, { txHash: h(3), nonce: 0 });
        db.markSubmitted(3n, { txHash: h(3), nonce: 0 });
        throw new Error("crash before broadcast");
      }),
    ).to.throw("crash before broadcast");
    expect(ids.map((id) => db.getJob(id)?.state)).to.deep.equal(["computed", "pending", "computed"]);
    expect(db.inFlightTxCount()).to.equal(0);
    db.batch(() => {
      db.markSubmitted(1n, { txHash: h(3), nonce: 0 });
      db.markSubmitted(3n, { txHash: h(3), nonce: 0 });
    });
    expect(db.inFlightTxCount()).to.equal(1);
  });

  it("walks a job through pending -> computed -> submitted -> confirmed, surviving a reopen at every step", function () {
    const id = (1n << 255n) + 7n; // uint256-sized request ids round-trip
    db.addJob({ requestId: id, modelHash: h(1), inputHash: h(2), seenBlock: 10, seenAt: 1234 });
    const steps: [string, () => void][] = [
      ["computed", () => db.markComputed(id, computed())],
      ["submitted", () => db.markSubmitted(id, { txHash: h(3), nonce: 4 })],
      ["confirmed", () => db.markConfirmed(id, 12)],
    ];
    expect(db.getJob(id)?.state).to.equal("pending");
    for (const [state, step] of steps) {
      step();
      db.close(); // crash / restart
      db = RelayerDb.open(file);
      const job = db.getJob(id)!;
      expect(job.state).to.equal(state);
      expect(job.requestId).to.equal(id);
      expect(job.seenAt).to.equal(1234);
    }
    const job = db.getJob(id)!;
    expect(Buffer.from(job.output!).equals(Buffer.from(computed().output))).to.equal(true);
    expect(job).to.include({
      outcome: 0,
      outputHash: h(1001),
      signature: sig,
      txHash: h(3),
      nonce: 4,
      attempts: 1,
      confirmedBlock: 12,
    });
  });

  it("repeating a transition after a crash is a no-op; a different payload is a conflict", function () {
    db.addJob({ requestId: 1n, modelHash: h(1), inputHash: h(2), seenBlock: 1 });
    const before = db.addJob({ requestId: 1n, modelHash: h(1), inputHash: h(2), seenBlock: 5 }); // re-seen
    expect(before.seenBlock).to.equal(1);
    // Another model/input for the same id (a re-created request): a job never sent is superseded
    // (issue 20.6; it used to be a JOB_CONFLICT that wedged sync); the original comes back the same way.
    expect(db.addJob({ requestId: 1n, modelHash: h(9), inputHash: h(2), seenBlock: 1 }).modelHash).to.equal(
      h(9),
    );
    expect(db.addJob({ requestId: 1n, modelHash: h(1), inputHash: h(2), seenBlock: 1 }).modelHash).to.equal(
      h(1),
    );

    const c1 = db.markComputed(1n, computed());
    const c2 = db.markComputed(1n, computed());
    expect(c2).to.deep.equal(c1);
    expectStoreCode(() => db.markComputed(1n, computed(2)), "JOB_CONFLICT");

    db.markSubmitted(1n, { txHash: h(3), nonce: 0 });
    const again = db.markSubmitted(1n, { txHash: h(3), nonce: 0 });
    expect(again.attempts).to.equal(1);
    expectStoreCode(() => db.markSubmitted(1n, { txHash: h(3), nonce: 1 }), "JOB_CONFLICT");
    // a replacement transaction is a new submission
    expect(db.markSubmitted(1n, { txHash: h(4), nonce: 0 }).attempts).to.equal(2);
    db.markConfirmed(1n, 9);
    expect(db.markConfirmed(1n, 9).state).to.equal("confirmed");
    expectStoreCode(() => db.markConfirmed(1n, 10), "JOB_CONFLICT");
    expect(db.getJob(1n)?.confirmedBlock).to.equal(9);
    // Once answered on chain, a re-created id cannot supersede the job.
    expectStoreCode(
      () => db.addJob({ requestId: 1n, modelHash: h(9), inputHash: h(2), seenBlock: 1 }),
      "JOB_CONFLICT",
    );
  });

  it("counts compute starts durably, so a job that takes the process down is not started forever", function () {
    db.addJob({ requestId: 7n, modelHash: h(1), inputHash: h(2), seenBlock: 1 });
    expect(db.beginCompute(7n)).to.equal(1);
    expect(db.beginCompute(7n)).to.equal(2);
    db.deferCompute(7n, 5_000, false); // an RPC failure: this start does not count
    const file = db.file;
    db.close();
    db = RelayerDb.open(file);
    expect(db.getJob(7n)).to.include({ computeStarts: 1, retryAt: 5_000 });
    expect(db.duePending(4_999).map((j) => j.requestId)).to.not.include(7n);
    expect(db.duePending(5_000).map((j) => j.requestId)).to.include(7n);
    expect(db.beginCompute(7n)).to.equal(2);
  });

  it("rejects illegal transitions and leaves the job untouched", function () {
    db.addJob({ requestId: 5n, modelHash: h(1), inputHash: h(2), seenBlock: 1 });
    const pending = db.getJob(5n);
    expectStoreCode(() => db.markSubmitted(5n, { txHash: h(3), nonce: 0 }), "JOB_ILLEGAL_TRANSITION");
    expectStoreCode(() => db.markConfirmed(5n, 3), "JOB_ILLEGAL_TRANSITION");
    expectStoreCode(() => db.markUnsubmitted(5n), "JOB_ILLEGAL_TRANSITION");
    expect(db.getJob(5n)).to.deep.equal(pending);

    db.markComputed(5n, computed());
    db.markSubmitted(5n, { txHash: h(3), nonce: 0 });
    const submitted = db.getJob(5n);
    expectStoreCode(() => db.markComputed(5n, computed(3)), "JOB_ILLEGAL_TRANSITION"); // no silent output rewrite
    expect(db.getJob(5n)).to.deep.equal(submitted);

    db.markConfirmed(5n, 4);
    const confirmed = db.getJob(5n);
    expectStoreCode(() => db.markDropped(5n, "late"), "JOB_ILLEGAL_TRANSITION");
    expectStoreCode(() => db.markSubmitted(5n, { txHash: h(8), nonce: 1 }), "JOB_ILLEGAL_TRANSITION");
    expect(db.getJob(5n)).to.deep.equal(confirmed);

    expectStoreCode(() => db.markComputed(77n, computed()), "JOB_NOT_FOUND");
    expectStoreCode(() => db.markComputed(5n, { ...computed(), signature: "0x12" }), "JOB_CONFLICT");
    expectStoreCode(
      () => db.addJob({ requestId: 6n, modelHash: "0x12", inputHash: h(2), seenBlock: 1 }),
      "JOB_CONFLICT",
    );
    expect(db.getJob(6n)).to.equal(undefined);
    expect(isLegalTransition("confirmed", "dropped")).to.equal(false);
    expect(isLegalTransition("submitted", "computed")).to.equal(true);
  });

  it("a lost transaction goes back to computed and is resubmitted; drops are terminal", function () {
    db.addJob({ requestId: 2n, modelHash: h(1), inputHash: h(2), seenBlock: 1 });
    db.markComputed(2n, computed());
    db.markSubmitted(2n, { txHash: h(3), nonce: 0 });
    const back = db.markUnsubmitted(2n);
    expect(back).to.include({ state: "computed", txHash: undefined, nonce: undefined });
    expect(Buffer.from(back.output!).equals(Buffer.from(computed().output))).to.equal(true); // answer kept
    expect(db.markSubmitted(2n, { txHash: h(5), nonce: 1 }).attempts).to.equal(2);
    db.markDropped(2n, "request expired");
    expect(db.markDropped(2n, "again").dropReason).to.equal("request expired");
    expectStoreCode(() => db.markUnsubmitted(2n), "JOB_ILLEGAL_TRANSITION");
  });

  it("lists the work queue by state and counts states", function () {
    for (let i = 1; i <= 4; i++)
      db.addJob({ requestId: BigInt(i), modelHash: h(1), inputHash: h(i), seenBlock: 10 - i });
    db.markComputed(1n, computed());
    db.markDropped(2n, "reassigned");
    expect(db.jobsIn("pending").map((j) => j.requestId)).to.deep.equal([4n, 3n]); // oldest block first
    expect(db.countByState()).to.deep.equal({
      pending: 2,
      computed: 1,
      submitted: 0,
      confirmed: 0,
      dropped: 1,
    });
  });

  it("keeps the chain cursor and seen blocks across reopen, and rewinds on a reorg", function () {
    expect(db.getCursor()).to.equal(undefined);
    db.advanceCursor({ blockNumber: 100, blockHash: h(100) });
    db.recordBlock({ blockNumber: 101, blockHash: h(101) });
    db.advanceCursor({ blockNumber: 102, blockHash: h(102) });
    db.close();
    db = RelayerDb.open(file);
    expect(db.getCursor()).to.deep.equal({ blockNumber: 102, blockHash: h(102) });
    expect(db.blockHash(101)).to.equal(h(101));
    expectStoreCode(() => db.advanceCursor({ blockNumber: 99, blockHash: h(99) }), "CURSOR_INVALID");
    expectStoreCode(() => db.advanceCursor({ blockNumber: 103, blockHash: "0xzz" }), "CURSOR_INVALID");
    expect(db.getCursor()?.blockNumber).to.equal(102);

    db.rewindTo({ blockNumber: 100, blockHash: h(100) });
    expect(db.getCursor()).to.deep.equal({ blockNumber: 100, blockHash: h(100) });
    expect(db.blockHash(101)).to.equal(undefined);
    expect(db.blockHash(102)).to.equal(undefined);
    db.advanceCursor({ blockNumber: 101, blockHash: h(555) }); // the new fork's block
    expect(db.blockHash(101)).to.equal(h(555));
    expect(db.pruneBlocksBelow(101)).to.equal(1);
    expect(db.blockHash(100)).to.equal(undefined);
  });

  it("refuses a database written by a newer relayer and fails cleanly once closed", function () {
    db.close();
    const raw = new DatabaseSync(file);
    raw.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    expectStoreCode(() => RelayerDb.open(file), "DB_SCHEMA_TOO_NEW");
    expectStoreCode(() => db.getCursor(), "DB_CLOSED");
  });

  // Issue 20.6: a data directory reused after a redeploy (or pointed at another chain) must not resume
  // another coordinator's cursor, jobs, signed transactions or juror salts.
  it("every database of a data directory reused after a redeploy refuses to open, its state untouched", function () {
    const first = { chainId: 31337n, coordinator: "0x" + "c0".repeat(20) };
    const redeployed = { chainId: 31337n, coordinator: "0x" + "c1".repeat(20) };
    const otherChain = { chainId: 1n, coordinator: first.coordinator };
    db.close();
    const chainFile = path.join(dir, "sub", "chain.db");
    const dutiesFile = path.join(dir, "sub", "duties.db");
    // The first deployment's state.
    db = RelayerDb.open(file, { binding: first });
    db.advanceCursor({ blockNumber: 7, blockHash: h(7) });
    db.close();
    let chainDb = ChainDb.open(chainFile, first);
    chainDb.addWatch({
      requestId: 5n,
      index: 0,
      operator: "0x" + "0a".repeat(20),
      outputHash: h(5),
      outcome: 0,
      output: Uint8Array.of(1),
    });
    chainDb.close();
    let duties = DutiesDb.open(dutiesFile, first);
    duties.setCursor(7);
    duties.close();
    // Reopened for the redeployed coordinator, or another chain: a typed refusal, nothing written.
    for (const binding of [redeployed, otherChain]) {
      expectStoreCode(() => RelayerDb.open(file, { binding }), "DB_CHAIN_MISMATCH");
      expectStoreCode(() => ChainDb.open(chainFile, binding), "DB_CHAIN_MISMATCH");
      expectStoreCode(() => DutiesDb.open(dutiesFile, binding), "DB_CHAIN_MISMATCH");
    }
    // The same deployment (the address in any case) resumes where it was.
    db = RelayerDb.open(file, {
      binding: { ...first, coordinator: first.coordinator.toUpperCase().replace("0X", "0x") },
    });
    expect(db.getCursor()?.blockNumber).to.equal(7);
    chainDb = ChainDb.open(chainFile, first);
    expect(chainDb.pendingWatch().map((w) => w.requestId)).to.deep.equal([5n]);
    chainDb.close();
    duties = DutiesDb.open(dutiesFile, first);
    expect(duties.getCursor()).to.equal(7);
    duties.close();
    // A fresh data directory for the redeployment starts clean.
    const fresh = ChainDb.open(path.join(dir, "fresh", "chain.db"), redeployed);
    expect(fresh.pendingWatch()).to.deep.equal([]);
    fresh.close();
  });
});
