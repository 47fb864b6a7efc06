/**
 * Operator grinding (issue 16), on the real EVM: a requester trying 4,000 choices it controls (input hash,
 * sending address, blocks waited before sending) over 1,000 requests, always sending the candidate its best
 * prediction says draws its chosen operator, is drawn that operator at its stake share, within noise. Before
 * issue 16 the input hash and the requester were mixed into the seed, and the same attacker won every time.
 */
import { expect } from "chai";
import { operatorGrind } from "../../scripts/bench/attacks/operatorGrind.js";
import { deployProtocol } from "../helpers/protocol.js";

describe("Selection: a requester cannot steer its operator draw", function () {
  this.timeout(600_000);

  it("keeps the hit rate of a chosen operator within noise of its stake share over 1,000 ground requests", async function () {
    const p = await deployProtocol({ operators: 5 });
    const r = await operatorGrind(p, { requests: 1_000, choicesPerRequest: 4 });
    expect(r.choices).to.be.at.least(1_000);
    expect(Math.abs(r.stakeShare - 0.2), `stake share ${r.stakeShare}`).to.be.lessThan(1e-9);
    // The attacker believed it had a favourable candidate most of the time (it would have, with the old seed)…
    expect(r.predictedTargetRate).to.be.greaterThan(0.5);
    // …and it hit at the stake share: 1,000 draws at p = 0.2 have a standard deviation of 0.0126, so ±0.04 is
    // beyond 3 σ either way (successOverStakeShare within 0.8..1.2).
    expect(Math.abs(r.hitRate - r.stakeShare), `hit rate ${r.hitRate}`).to.be.lessThan(0.04);
    expect(r.successOverStakeShare).to.be.at.most(1.2);
  });
});
