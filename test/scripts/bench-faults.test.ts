/** The pure helpers of the faults-under-load benchmark (scripts/bench/faults.ts): schedule and counting. */
import { expect } from "chai";
import {
  FaultsError,
  faultSchedule,
  percentile,
  recoveryTimes,
  seededRandom,
  tally,
  type SlotAnswer,
} from "../../scripts/bench/faults.js";

describe("bench faults: helpers", function () {
  it("seededRandom is deterministic per seed, in [0, 1), and differs between seeds", function () {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const c = seededRandom(8);
    const xs = Array.from({ length: 1_000 }, () => a());
    expect(Array.from({ length: 1_000 }, () => b())).to.deep.equal(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).to.equal(true);
    expect(c()).to.not.equal(xs[0]);
    // Not degenerate: the mean of 1000 draws is near 0.5.
    expect(xs.reduce((s, x) => s + x, 0) / xs.length).to.be.within(0.45, 0.55);
  });

  it("faultSchedule plays exactly the kills and drops asked, sorted, inside the window, never overlapping", function () {
    for (let seed = 1; seed <= 50; seed++) {
      const o = { kills: 5, drops: 2, windowMs: 50_000, dropMs: 4_000 };
      const s = faultSchedule(seededRandom(seed), o);
      expect(s.filter((f) => f.kind === "kill")).to.have.length(5);
      expect(s.filter((f) => f.kind === "drop")).to.have.length(2);
      for (let i = 0; i < s.length; i++) {
        const f = s[i]!;
        const end = f.atMs + (f.kind === "drop" ? o.dropMs : 0);
        expect(f.atMs).to.be.at.least(o.windowMs * 0.05);
        expect(end).to.be.at.most(o.windowMs * 0.95 + 1);
        if (i > 0) {
          const prev = s[i - 1]!;
          expect(f.atMs, `seed ${seed}`).to.be.at.least(prev.atMs + (prev.kind === "drop" ? o.dropMs : 0));
        }
      }
      expect(faultSchedule(seededRandom(seed), o)).to.deep.equal(s);
    }
    // The order of kinds depends on the seed.
    const orders = new Set(
      Array.from({ length: 20 }, (_, seed) =>
        faultSchedule(seededRandom(seed), { kills: 2, drops: 1, windowMs: 10_000, dropMs: 2_500 })
          .map((f) => f.kind)
          .join(","),
      ),
    );
    expect(orders.size).to.be.greaterThan(1);
  });

  it("faultSchedule refuses a drop that does not fit its slice and negative counts (BAD_SCHEDULE)", function () {
    const bad = (o: { kills: number; drops: number; windowMs: number; dropMs: number }): FaultsError => {
      try {
        faultSchedule(seededRandom(1), o);
      } catch (e) {
        expect(e).to.be.instanceOf(FaultsError);
        return e as FaultsError;
      }
      throw new Error("no error");
    };
    expect(bad({ kills: 2, drops: 1, windowMs: 10_000, dropMs: 3_000 }).code).to.equal("BAD_SCHEDULE");
    expect(bad({ kills: -1, drops: 1, windowMs: 10_000, dropMs: 1_000 }).code).to.equal("BAD_SCHEDULE");
    expect(bad({ kills: 1.5, drops: 0, windowMs: 10_000, dropMs: 0 }).code).to.equal("BAD_SCHEDULE");
    expect(faultSchedule(seededRandom(1), { kills: 0, drops: 0, windowMs: 10_000, dropMs: 0 })).to.deep.equal(
      [],
    );
  });

  it("tally counts a request with an unanswered slot as lost and a slot answered twice as duplicated", function () {
    const created = new Map<bigint, number>([
      [1n, 1],
      [2n, 1],
      [3n, 2],
      [4n, 2],
      [5n, 1],
    ]);
    const answers: SlotAnswer[] = [
      { requestId: 1n, index: 0 },
      { requestId: 2n, index: 0 },
      { requestId: 2n, index: 0 }, // duplicate
      { requestId: 3n, index: 0 }, // slot 1 missing: lost
      { requestId: 4n, index: 0 },
      { requestId: 4n, index: 1 },
      { requestId: 9n, index: 0 }, // not ours
      // 5: nothing: lost
    ];
    const t = tally(created, answers);
    expect(t).to.deep.include({ requests: 5, lost: 2, duplicated: 1, stray: 1 });
    expect(t.lostIds).to.deep.equal([3n, 5n]);
    expect(t.duplicatedIds).to.deep.equal([2n]);
    // Everything answered once: zero and zero.
    const clean = tally(created, [
      { requestId: 1n, index: 0 },
      { requestId: 2n, index: 0 },
      { requestId: 3n, index: 0 },
      { requestId: 3n, index: 1 },
      { requestId: 4n, index: 1 },
      { requestId: 4n, index: 0 },
      { requestId: 5n, index: 0 },
    ]);
    expect(clean).to.deep.include({ requests: 5, lost: 0, duplicated: 0, stray: 0 });
  });

  it("percentile is the nearest rank (0 for no samples)", function () {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i); // 1..100, unsorted
    expect(percentile(xs, 50)).to.equal(50);
    expect(percentile(xs, 99)).to.equal(99);
    expect(percentile(xs, 100)).to.equal(100);
    expect(percentile([3, 9, 1], 99)).to.equal(9);
    expect(percentile([], 99)).to.equal(0);
  });

  it("recoveryTimes: end of a fault → last answer of the requests seen before it; never answered is infinite", function () {
    const created = new Map<bigint, number>([
      [1n, 1_000],
      [2n, 2_000],
      [3n, 5_000],
    ]);
    const answered = new Map<bigint, number>([
      [1n, 1_500],
      [2n, 4_200],
      [3n, 5_300],
    ]);
    expect(recoveryTimes([2_500, 4_500, 1_200], created, answered)).to.deep.equal([1_700, 0, 300]);
    answered.delete(2n);
    expect(recoveryTimes([2_500, 1_200], created, answered)).to.deep.equal([Infinity, 300]);
  });
});
