/**
 * Output agreement (docs/protocol.md): the SDK's outputsAgree and TensorLib.agree give the same answer.
 */
import { expect } from "chai";
import { network } from "hardhat";
import { outputsAgree, type AgreementResult } from "../../sdk/agreement.js";
import { encodeTensors, type Tensor } from "../../sdk/tensor.js";
import { VerdictError } from "../../sdk/errors.js";
import { TensorLibHarness__factory, type TensorLibHarness } from "../../types/ethers-contracts/index.js";

const { ethers } = await network.connect();

const base: Tensor[] = [
  { name: "prob", dtype: "fixed64", scale: 6, dims: [1, 3], data: [500_000n, -250_000n, 9_000_000_000_000n] },
  { name: "state", dtype: "fixed64", scale: 6, dims: [2], data: [0n, -(1n << 63n)] },
];
const enc = (ts: Tensor[]): Uint8Array => encodeTensors(ts);
const withData = (i: number, k: number, delta: bigint): Tensor[] =>
  base.map((t, j) => (j === i ? { ...t, data: t.data.map((v, m) => (m === k ? v + delta : v)) } : t));

describe("SDK outputsAgree vs TensorLib.agree", function () {
  let harness: TensorLibHarness;

  before(async function () {
    const [deployer] = await ethers.getSigners();
    harness = await new TensorLibHarness__factory(deployer).deploy();
  });

  async function check(a: Uint8Array, b: Uint8Array, tol: bigint, expected: AgreementResult): Promise<void> {
    expect(outputsAgree(a, b, tol)).to.deep.equal(expected);
    expect(outputsAgree(b, a, tol).agree).to.equal(expected.agree);
    expect(await harness.agree(a, b, tol)).to.equal(expected.agree);
  }

  it("agrees on equal bytes and within tolerance, disagrees beyond it", async function () {
    const a = enc(base);
    await check(a, a, 0n, { agree: true, maxDelta: 0n });
    await check(a, enc(withData(0, 1, 5n)), 5n, { agree: true, maxDelta: 5n });
    await check(a, enc(withData(0, 1, -5n)), 5n, { agree: true, maxDelta: 5n });
    await check(a, enc(withData(0, 1, 6n)), 5n, { agree: false, reason: "BEYOND_TOLERANCE", maxDelta: 6n });
    await check(a, enc(withData(1, 1, 1n)), 0n, { agree: false, reason: "BEYOND_TOLERANCE", maxDelta: 1n });
    await check(a, enc(withData(1, 1, (1n << 64n) - 1n)), 1n << 64n, {
      agree: true,
      maxDelta: (1n << 64n) - 1n,
    });
  });

  it("disagrees on name, dtype, scale, shape and count mismatches whatever the tolerance", async function () {
    const a = enc(base);
    const big = 1n << 70n;
    const p = base[0]!;
    const s = base[1]!;
    await check(a, enc([{ ...p, name: "probs" }, s]), big, { agree: false, reason: "NAME_MISMATCH" });
    await check(a, enc([{ ...p, dtype: "int64", scale: 0 }, s]), big, {
      agree: false,
      reason: "DTYPE_MISMATCH",
    });
    await check(a, enc([{ ...p, scale: 5 }, s]), big, { agree: false, reason: "SCALE_MISMATCH" });
    await check(a, enc([{ ...p, dims: [3, 1] }, s]), big, { agree: false, reason: "SHAPE_MISMATCH" });
    await check(a, enc([{ ...p, dims: [3] }, s]), big, { agree: false, reason: "SHAPE_MISMATCH" });
    await check(a, enc([p]), big, { agree: false, reason: "COUNT_MISMATCH" });
  });

  it("disagrees when either side does not decode, but equal bytes always agree", async function () {
    const a = enc(base);
    const bad = Uint8Array.from([...a, 0]);
    await check(a, bad, 1n << 70n, { agree: false, reason: "UNDECODABLE_B" });
    expect(outputsAgree(bad, a, 0n)).to.deep.equal({ agree: false, reason: "UNDECODABLE_A" });
    await check(bad, Uint8Array.from(bad), 0n, { agree: true, maxDelta: 0n });
  });

  it("throws TOLERANCE_INVALID for a negative tolerance", function () {
    const a = enc(base);
    expect(() => outputsAgree(a, a, -1n))
      .to.throw(VerdictError)
      .with.property("code", "TOLERANCE_INVALID");
  });
});
