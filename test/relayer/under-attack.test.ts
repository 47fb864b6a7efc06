/**
 * Issue 20 against the REAL relayer process (hardhat node, Ignition deployment, `relayer/main.ts run`, real
 * onnxruntime): hostile models and requests while honest requests keep coming. Checks what a user would
 * notice: no secret is ever posted, honest requests keep being answered promptly, hostile ones end in the
 * operator's own "cannot serve" (never "invalid input" for a resource or timeout failure), a non-UTF-8
 * input URI is answered (input unavailable) rather than skipped, and no operator loses stake.
 */
import { expect } from "chai";
import { toUtf8Bytes } from "ethers";
import { request, uriParams, inlineParams } from "../../scripts/lib/devnet.js";
import {
  answeredWithin,
  answersSince,
  attackBed,
  honestLatencies,
  int64Input,
  percentile,
  requestWithRawUri,
  stakeLoss,
  stakes,
  uint8Input,
  type AttackBed,
} from "../../scripts/lib/node-attack.js";

describe("relayer under attack (hardhat node + relayer process + onnxruntime)", function () {
  this.timeout(600_000);
  let bed: AttackBed;

  before(async function () {
    bed = await attackBed(1);
  });

  after(async function () {
    await bed?.stop();
  });

  it("hostile models and URIs: no secret leaves, honest requests keep flowing, nobody is blamed or slashed", async function () {
    const { devnet } = bed;
    const relayer = bed.startRelayer(0, {
      VERDICT_INFERENCE_TIMEOUT_MS: "4000",
      VERDICT_INFERENCE_MEMORY_MB: "1024",
    });
    await relayer.waitFor((l) => l.includes("chain loop started"), 120_000);
    const stakesBefore = await stakes(devnet);
    const baseline = await honestLatencies(bed, 4, 30_000);
    expect(
      baseline.every(Number.isFinite),
      relayer.lines().slice(-25).join("\n") + "\n" + relayer.stderr(),
    ).to.equal(true);

    const from = await devnet.provider.getBlockNumber();
    const m = devnet.models;
    const exfil = await request(devnet, inlineParams(m[bed.exfil.name]!, uint8Input("x", [1], [0n])));
    const exfilAbs = await request(
      devnet,
      inlineParams(m[bed.exfilAbsolute.name]!, uint8Input("x", [1], [0n])),
    );
    const endless = await request(
      devnet,
      inlineParams(m[bed.endless.name]!, int64Input("n", [], [10n ** 15n])),
    );
    const huge = await request(
      devnet,
      inlineParams(m[bed.huge.name]!, int64Input("shape", [2], [1_000_000n, 1_000_000n])),
    );
    const nonUtf8 = await requestWithRawUri(
      devnet,
      m[bed.honest.name]!,
      uint8Input("x", [1], [0n]),
      Uint8Array.of(0x68, 0x74, 0x74, 0x70, 0xff, 0xfe, 0x2f),
    ).then((c) => c.requestId);
    const fileUri = await request(
      devnet,
      uriParams(m[bed.honest.name]!, toUtf8Bytes("x"), "file:///proc/self/environ"),
    );
    // Honest requests while the hostile ones are being handled.
    const during = await honestLatencies(bed, 6, 60_000);
    expect(during.every(Number.isFinite), "every honest request answered").to.equal(true);
    // The hostile jobs end within the deadline (4 s) plus a poll or two.
    const unUtf8 = await answeredWithin(devnet, nonUtf8, from, 30_000);
    await new Promise((r) => setTimeout(r, 6_000));
    const answers = await answersSince(devnet, from);
    const byId = new Map(answers.map((a) => [a.requestId, a]));

    // Nothing posted carries the secret (as bytes or as text), and the exfiltration models got no result.
    const secretHex = Buffer.from(bed.secret).toString("hex");
    const keyHex = devnet.operators[0]!.signerKey.slice(2).toLowerCase();
    for (const a of answers) {
      expect(a.output.toLowerCase()).to.not.include(secretHex.slice(0, 40));
      expect(a.output.toLowerCase()).to.not.include(keyHex.slice(0, 32));
    }
    expect(byId.get(exfil.requestId)?.outcome ?? -1).to.not.equal(0);
    expect(byId.get(exfilAbs.requestId)?.outcome ?? -1).to.not.equal(0);
    // Timeouts and failed allocations are never "invalid input" (the requester's fault): the operator's own
    // "cannot serve" (outcome 2, DECLINED = 10), if posted yet.
    for (const id of [endless.requestId, huge.requestId]) {
      const a = byId.get(id);
      if (a !== undefined) expect([a.outcome, BigInt(a.output)]).to.deep.equal([2, 10n]);
    }
    const log = relayer.lines().join("\n");
    expect(log).to.include("DECLINED");
    // The non-UTF-8 URI and the file:// URI are answered "cannot serve: input unavailable" (outcome 2, code 6).
    expect(unUtf8?.outcome).to.equal(2);
    expect(BigInt(unUtf8!.output)).to.equal(6n);
    expect(BigInt(byId.get(fileUri.requestId)?.output ?? "0x0")).to.equal(6n);

    const p99Base = percentile(baseline, 99);
    const p99During = percentile(during, 99);
    console.log(
      `      honest p99: ${Math.round(p99Base)} ms alone, ${Math.round(p99During)} ms under attack`,
    );
    expect(p99During).to.be.lessThan(Math.max(3 * p99Base, 3_000));
    expect(await stakeLoss(devnet, stakesBefore)).to.equal(0);
    expect(relayer.child.exitCode).to.equal(null);
  });
});
