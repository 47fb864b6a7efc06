/**
 * sdk/reasons.ts is the twin of the REASON_* constants of VerdictTypes.sol (and Disputes.REASON_UNDECIDED):
 * the same numbers under the same names, each with the outcome the chain accepts it for, and a meaning.
 */
import { readFileSync } from "node:fs";
import { expect } from "chai";
import { network } from "hardhat";
import { TensorLibHarness__factory } from "../../types/ethers-contracts/index.js";
import { ReasonCode } from "../../sdk/eip712.js";
import {
  REASONS,
  REASON_UNDECIDED,
  describeAttestedReason,
  describeReason,
  reasonInfo,
} from "../../sdk/reasons.js";

/** `REASON_<NAME> = bytes32(uint256(<n>))` constants declared in a Solidity source file. */
function solidityReasons(file: string): Map<string, number> {
  const src = readFileSync(file, "utf8");
  const found = new Map<string, number>();
  for (const m of src.matchAll(/\bREASON_([A-Z_]+)\s*=\s*bytes32\(uint256\((\d+)\)\)/g))
    found.set(m[1]!, Number(m[2]));
  return found;
}

describe("SDK reason codes: one table, twin of the contracts", function () {
  it("names every Solidity reason constant with its number, and nothing else", function () {
    const sol = new Map([
      ...solidityReasons("contracts/libraries/VerdictTypes.sol"),
      ...solidityReasons("contracts/disputes/Disputes.sol"),
    ]);
    expect(sol.size).to.equal(11);
    expect(sol.get("UNDECIDED")).to.equal(REASON_UNDECIDED);
    for (const [name, code] of sol) {
      expect(reasonInfo(code)?.name, `code ${code}`).to.equal(name);
      expect(reasonInfo(code)?.meaning).to.be.a("string").and.have.length.above(10);
    }
    expect([...REASONS.keys()].sort((a, b) => a - b)).to.deep.equal([...sol.values()].sort((a, b) => a - b));
    // The numbers the SDK signs with (sdk/eip712.ts) are the table's, under the same names.
    for (const [name, code] of Object.entries(ReasonCode)) expect(reasonInfo(code)?.name).to.equal(name);
  });

  it("is the table of docs/protocol.md, name for name and meaning for meaning", function () {
    const doc = readFileSync("docs/protocol.md", "utf8");
    const rows = [...doc.matchAll(/^\| [^|]+ \| (\d+) \| ([A-Z_]+) \| (.+) \|$/gm)];
    expect(rows.map((r) => Number(r[1])).sort((a, b) => a - b)).to.deep.equal(
      [...REASONS.keys()].sort((a, b) => a - b),
    );
    for (const [, code, name, meaning] of rows) {
      expect(reasonInfo(Number(code))?.name).to.equal(name);
      expect(reasonInfo(Number(code))?.meaning).to.equal(meaning!.replace(/`/g, ""));
    }
  });

  it("gives each code the outcome the deployed VerdictTypes accepts it for", async function () {
    const { ethers } = await network.connect();
    const [deployer] = await ethers.getSigners();
    const harness = await new TensorLibHarness__factory(deployer).deploy();
    const outcomes = await harness.reasonOutcomes();
    const byName = { 1: "INVALID_INPUT", 2: "CANNOT_SERVE" } as const;
    for (let code = 0; code < 16; ++code) {
      const chain = Number(outcomes[code]);
      const info = reasonInfo(code);
      if (chain === 0)
        expect(info === undefined || info.outcome === "dispute", `code ${code}`).to.equal(true);
      else expect(info?.outcome, `code ${code}`).to.equal(byName[chain as 1 | 2]);
    }
  });

  it("describes codes as `code NAME: meaning`, from numbers or attested bytes32", function () {
    expect(describeReason(11)).to.match(/^11 OUTPUT_TOO_LARGE: .*maxOutput/);
    expect(describeReason(7n)).to.match(/^7 MODEL_FAILED: /);
    expect(describeReason(42)).to.equal("42 (unknown reason)");
    expect(describeReason(2n ** 200n)).to.match(/unknown reason/);
    const bytes32 = "0x" + "0".repeat(62) + "0a";
    expect(describeAttestedReason(2, bytes32)).to.match(/^10 DECLINED: /);
    expect(describeAttestedReason(0n, bytes32)).to.equal(undefined); // a RESULT's hash is no reason
    expect(describeAttestedReason(1, "0x1234")).to.equal(undefined);
  });
});
