/**
 * Reason codes by name in the CLI (issue 17.6): `status` and `audit` of a request answered "cannot serve"
 * and of one answered "invalid input" print `11 OUTPUT_TOO_LARGE: …` and `3 DTYPE_MISMATCH: …`, not bare
 * numbers. Real hardhat node with the protocol deployed (scripts/lib/devnet.ts), answers signed by the
 * assigned operator's signer key.
 */
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Wallet } from "ethers";
import { main } from "../../cli/main.js";
import { encodeTensors, signAttestation, verdictDomain, type Tensor } from "../../sdk/client.js";
import { ReasonCode, outcomeOfReason, reasonCodeToBytes32 } from "../../sdk/eip712.js";
import { Coordinator__factory } from "../../types/ethers-contracts/index.js";
import { inlineParams, request, startDevnet, type Devnet } from "../../scripts/lib/devnet.js";

const INPUT: Tensor[] = [{ name: "x", dtype: "fixed64", scale: 6, dims: [8], data: Array(8).fill(0n) }];

describe("verdict CLI: reason codes with names and meanings", function () {
  this.timeout(240_000);
  let devnet: Devnet | undefined;
  let dir = "";

  after(async function () {
    await devnet?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function cli(argv: string[]): Promise<{ code: number; out: string }> {
    let out = "";
    const d = devnet!;
    const code = await main(argv, {
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: (s: string) => (out += s), isTTY: false },
      env: {
        VERDICT_RPC_URL: d.url,
        VERDICT_CHAIN_ID: d.chainId.toString(),
        VERDICT_COORDINATOR_ADDRESS: d.addresses.coordinator,
        VERDICT_STAKING_ADDRESS: d.addresses.staking,
        VERDICT_REGISTRY_ADDRESS: d.addresses.registry,
      },
      cwd: dir,
    });
    return { code, out };
  }

  /** A request answered by its one operator with `reason` (its outcome follows from the code). */
  async function answeredWith(reason: ReasonCode): Promise<bigint> {
    const d = devnet!;
    const model = Object.values(d.models)[0]!;
    const created = await request(d, inlineParams(model, encodeTensors(INPUT)));
    const op = d.operators.find(
      (o) => o.address.toLowerCase() === created.request.operators[0]!.toLowerCase(),
    )!;
    const signer = new Wallet(op.signerKey, d.provider);
    const code = reasonCodeToBytes32(reason);
    const outcome = outcomeOfReason(reason);
    const signature = await signAttestation(signer, verdictDomain(d.chainId, d.addresses.coordinator), {
      requestId: created.requestId,
      modelHash: created.request.modelHash,
      inputHash: created.request.inputHash,
      outputHash: code,
      outcome,
    });
    const coordinator = Coordinator__factory.connect(d.addresses.coordinator, signer);
    await (
      await coordinator.submitAnswer(
        created.requestId,
        created.request,
        { index: 0, outcome, output: code, signature },
        "0x",
      )
    ).wait();
    return created.requestId;
  }

  it("status and audit name the reason of a cannot-serve and of an invalid-input answer", async function () {
    devnet = await startDevnet({ operators: 1 });
    dir = mkdtempSync(path.join(tmpdir(), "verdict-cli-reasons-"));

    const tooLarge = await answeredWith(ReasonCode.OUTPUT_TOO_LARGE);
    const status = await cli(["status", tooLarge.toString()]);
    expect(status.code, status.out).to.equal(0);
    expect(status.out).to.match(
      /answer #0 by 0x[0-9a-fA-F]{40}: cannot serve — 11 OUTPUT_TOO_LARGE: the output is larger/,
    );
    const audit = await cli(["audit", tooLarge.toString()]);
    expect(audit.code, audit.out).to.equal(0);
    expect(audit.out).to.match(
      /coordinator\.AnswerSubmitted .*reason="11 OUTPUT_TOO_LARGE: the output is larger/,
    );

    const dtype = await answeredWith(ReasonCode.DTYPE_MISMATCH);
    expect((await cli(["status", dtype.toString()])).out).to.contain(
      "invalid input — 3 DTYPE_MISMATCH: a dtype differs from the model's schema",
    );
    expect((await cli(["result", dtype.toString()])).out).to.contain(
      "outcome: invalid input (reason 3 DTYPE_MISMATCH: a dtype differs from the model's schema)",
    );
    expect((await cli(["audit", dtype.toString()])).out).to.contain('reason="3 DTYPE_MISMATCH: ');
  });
});
