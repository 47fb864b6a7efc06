/**
 * The branch derivation of scripts/coverage.ts on a tiny contract: EDR's real statement instrumentation and
 * solc's parse of the fixture, with hand-chosen statement hits. No coverage run, no network.
 */
import { expect } from "chai";
import { addStatementCoverageInstrumentation } from "@nomicfoundation/edr";
import solc from "solc";
import {
  addBranchProbes,
  deriveBranches,
  sideEffectFree,
  summariseBranches,
  type AstNode,
  type BranchSide,
  type Statement,
} from "../scripts/coverage.js";

// Line numbers matter: the assertions name them.
const FIXTURE = `// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;
contract T {
    uint256 x; // ✓ a multi-byte comment: solc offsets are bytes, EDR's UTF-16
    function f(uint256 a) external returns (uint256) {
        if (a == 0) revert();
        if (a > 10) {
            x = 1;
        }
        if (a > 5) {
            x = 2;
        } else {
            x = 3;
        }
        for (uint256 i = 0; i < a; i++) x += i;
        return a > 7 ? 1 : 2;
    }
    function g(uint256 a) external {
        if (a == 1) x = 4;
        x = 5;
    }
}
`;

function ast(): AstNode {
  const out = JSON.parse(
    solc.compile(
      JSON.stringify({
        language: "Solidity",
        sources: { "T.sol": { content: FIXTURE } },
        settings: { stopAfter: "parsing", outputSelection: { "*": { "": ["ast"] } } },
      }),
    ),
  ) as { sources: Record<string, { ast: AstNode }> };
  return out.sources["T.sol"]!.ast;
}

/** EDR's statements of the fixture, hit unless their code is one of `notRun` (or a block around it). */
function statements(notRun: readonly string[]): Statement[] {
  const { metadata } = addStatementCoverageInstrumentation(FIXTURE, "project/T.sol", "0.8.30");
  return metadata.map((m) => {
    const text = FIXTURE.slice(m.startUtf16, m.endUtf16).trim();
    const inner = text.startsWith("{") ? text.slice(1, -1).trim() : text;
    return { start: m.startUtf16, end: m.endUtf16, hit: !notRun.some((n) => inner.startsWith(n)) };
  });
}

const at = (sides: readonly BranchSide[], line: number, side: string): string | undefined =>
  sides.find((s) => s.line === line && s.side === side)?.status;

describe("coverage: branches derived from statement hits", function () {
  // Runs as if f(3), f(0) (reverting) and g(2) were called: nothing with x = 1, x = 2 or x = 4 ran.
  const sides = deriveBranches(FIXTURE, ast(), statements(["x = 1", "x = 2", "x = 4"]));

  it("finds every branch point of the fixture", function () {
    const points = new Set(sides.map((s) => `${s.kind}@${s.line}`));
    expect([...points].sort()).to.deep.equal(
      ["if@6", "if@7", "if@10", "loop@15", "ternary@16", "if@19"].sort(),
    );
    expect(sides).to.have.length(12);
  });

  it("a guard that reverts: true by its revert, false by the statement after it", function () {
    expect(at(sides, 6, "true")).to.equal("taken");
    expect(at(sides, 6, "false")).to.equal("taken");
  });

  it("an if whose body never ran: true missed, false taken", function () {
    expect(at(sides, 7, "true")).to.equal("missed");
    expect(at(sides, 7, "false")).to.equal("taken");
    expect(at(sides, 19, "true")).to.equal("missed");
    expect(at(sides, 19, "false")).to.equal("taken");
  });

  it("if/else: each side by its own body", function () {
    expect(at(sides, 10, "true")).to.equal("missed");
    expect(at(sides, 10, "false")).to.equal("taken");
  });

  it("loops and ternaries: only what the hits prove", function () {
    expect(at(sides, 15, "enter")).to.equal("taken");
    expect(at(sides, 15, "skip")).to.equal("undetermined");
    expect(at(sides, 16, "true")).to.equal("taken"); // one side of a run ternary, which is unknown
    expect(at(sides, 16, "false")).to.equal("undetermined");
  });

  it("a falling-through body that ran leaves the false side undetermined; nothing run, nothing taken", function () {
    const all = deriveBranches(FIXTURE, ast(), statements([]));
    expect(at(all, 7, "true")).to.equal("taken");
    expect(at(all, 7, "false")).to.equal("undetermined");
    const none = deriveBranches(FIXTURE, ast(), statements(["if", "for", "return", "revert", "x"]));
    expect(none.every((s) => s.status === "missed")).to.equal(true);
  });

  it("summarises as a lower bound: undetermined sides count as missed", function () {
    const s = summariseBranches([{ file: "T.sol", sides }]);
    expect(s.found).to.equal(12);
    expect(s.taken).to.equal(7);
    expect(s.undetermined).to.equal(2);
    // (not closeTo: the ethers chai matchers loaded by the full suite take it for bigints)
    expect(Math.abs(s.pct - (7 * 100) / 12)).to.be.lessThan(1e-9);
  });
});

// The probe rewrite: line numbers matter again.
const PROBED = `// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;
contract P {
    error E();
    uint256 x;
    uint256[] list;
    function f(uint256 a) external returns (uint256) {
        if (a == 0) revert E();
        if (a > 10) x = 1;
        if (a > 5) {
            x = 2;
        } else if (a > 3) x = 3;
        for (uint256 i = 0; i < a; ++i) x += i;
        while (a > 100) a -= 1;
        uint256 m = a > 7 ? 1 : 2;
        for (uint256 j = 0; j < g(); ++j) x = j;
        try this.h() {} catch {}
        return m;
    }
    function g() public returns (uint256) { return ++x; }
    function h() external {}
}
`;

function parse(source: string): AstNode {
  const out = JSON.parse(
    solc.compile(
      JSON.stringify({
        language: "Solidity",
        sources: { "P.sol": { content: source } },
        settings: { stopAfter: "parsing", outputSelection: { "*": { "": ["ast"] } } },
      }),
    ),
  ) as { sources: Record<string, { ast: AstNode }>; errors?: { severity: string }[] };
  expect((out.errors ?? []).filter((e) => e.severity === "error")).to.deep.equal([]);
  return out.sources["P.sol"]!.ast;
}

/** EDR's statements of a source, hit when `run(code, line)` says so (code: the statement's trimmed text). */
function statementsOf(source: string, run: (code: string, line: number) => boolean): Statement[] {
  const { metadata } = addStatementCoverageInstrumentation(source, "project/P.sol", "0.8.30");
  return metadata.map((m) => ({
    start: m.startUtf16,
    end: m.endUtf16,
    hit: run(source.slice(m.startUtf16, m.endUtf16).trim(), lineAt(source, m.startUtf16)),
  }));
}

describe("coverage: branch probes (the coverage copy's rewrite)", function () {
  const probed = addBranchProbes(PROBED, parse(PROBED));
  const lines = probed.source.split("\n");

  it("adds an else to every if, a probe to loops and ?: with a side-effect-free condition, on the same lines", function () {
    expect(lines).to.have.length(PROBED.split("\n").length);
    expect(lines[7]).to.equal("        if (a == 0) revert E(); else {}");
    expect(lines[8]).to.equal("        if (a > 10) x = 1; else {}");
    expect(lines[11]).to.equal("        } else if (a > 3) x = 3; else {}");
    expect(lines[12]).to.equal("        { uint256 i = 0; if (i < a) {} else {} for (; i < a; ++i) x += i; }");
    expect(lines[13]).to.equal("        { if (a > 100) {} else {} while (a > 100) a -= 1; }");
    expect(lines[14]).to.equal("        if (a > 7) {} else {} uint256 m = a > 7 ? 1 : 2;");
    // A condition with a call is evaluated once per iteration only: left alone.
    expect(lines[15]).to.equal("        for (uint256 j = 0; j < g(); ++j) x = j;");
    expect(lines[16]).to.equal("        try this.h() { {}} catch { {}}");
    parse(probed.source); // still Solidity
    expect(probed.probes.size).to.equal(3);
  });

  it("every statement the rewrite adds starts inside an inserted range; the contract's own are all still there", function () {
    const own = (src: string, inserted: readonly (readonly [number, number])[]): number =>
      addStatementCoverageInstrumentation(src, "project/P.sol", "0.8.30").metadata.filter((m) => {
        let i = m.startUtf16;
        while (/\s/.test(src[i] ?? "")) i++;
        return !inserted.some(([s, e]) => i >= s && i < e); // the fixture is ASCII: bytes = UTF-16 units
      }).length;
    expect(own(probed.source, probed.inserted)).to.equal(own(PROBED, []));
  });

  it("an if without else: its false side is decided by the added empty block, run or not", function () {
    const ast = parse(probed.source);
    const line9 = (code: string, line: number): boolean | undefined =>
      line !== 9 ? true : code === "x = 1;" ? undefined : code === "{}" ? undefined : true;
    // As if only a > 10 had been seen: the body ran, the added else did not. Before the rewrite this false
    // side was undetermined (a body that falls through); now it is proven missed.
    const bodyOnly = statementsOf(probed.source, (code, line) => line9(code, line) ?? code === "x = 1;");
    const a = deriveBranches(probed.source, ast, bodyOnly, probed.probes);
    expect(at(a, 9, "true")).to.equal("taken");
    expect(at(a, 9, "false")).to.equal("missed");
    // Both seen: both taken.
    const both = statementsOf(probed.source, (code, line) => line9(code, line) ?? true);
    const b = deriveBranches(probed.source, ast, both, probed.probes);
    expect(at(b, 9, "true")).to.equal("taken");
    expect(at(b, 9, "false")).to.equal("taken");
    // Only a ≤ 10 seen: the else ran, the body did not.
    const elseOnly = statementsOf(probed.source, (code, line) => line9(code, line) ?? code === "{}");
    const c = deriveBranches(probed.source, ast, elseOnly, probed.probes);
    expect(at(c, 9, "true")).to.equal("missed");
    expect(at(c, 9, "false")).to.equal("taken");
    // The same hits without the rewrite could not tell the false side of the first case.
    const plain = deriveBranches(
      PROBED,
      parse(PROBED),
      statementsOf(PROBED, () => true),
    );
    expect(at(plain, 9, "false")).to.equal("undetermined");
  });

  it("with every statement run, every side is proven taken except the loop whose condition calls a function", function () {
    const ast = parse(probed.source);
    const s = deriveBranches(
      probed.source,
      ast,
      statementsOf(probed.source, () => true),
      probed.probes,
    );
    const open = s
      .filter((x) => x.status !== "taken")
      .map((x) => `${x.kind}@${x.line}:${x.side}:${x.status}`);
    expect(open).to.deep.equal(["loop@16:skip:undetermined"]);
    const kinds = s.map((x) => `${x.kind}@${x.line}`);
    expect(kinds.filter((k) => k === "loop@13")).to.have.length(2); // the probe if is not counted as an if
    expect(kinds.some((k) => k === "if@13" || k === "if@15")).to.equal(false);
  });

  it("with nothing run, nothing is taken", function () {
    const ast = parse(probed.source);
    const s = deriveBranches(
      probed.source,
      ast,
      statementsOf(probed.source, () => false),
      probed.probes,
    );
    expect(s.every((x) => x.status === "missed")).to.equal(true);
  });

  it("side-effect-free conditions: reads and comparisons yes, calls, ++ and assignments no", function () {
    const cond = (expr: string): AstNode => {
      const src = `pragma solidity 0.8.30; contract C { function f(uint256 a, uint256[] memory l) internal { if (${expr}) {} } }`;
      let found: AstNode | undefined;
      (function walk(n: unknown): void {
        if (typeof n !== "object" || n === null) return;
        const node = n as AstNode;
        if (node.nodeType === "IfStatement") found = node.condition as AstNode;
        for (const v of Object.values(node)) (Array.isArray(v) ? v : [v]).forEach(walk);
      })(
        (
          JSON.parse(
            solc.compile(
              JSON.stringify({
                language: "Solidity",
                sources: { "C.sol": { content: src } },
                settings: { stopAfter: "parsing", outputSelection: { "*": { "": ["ast"] } } },
              }),
            ),
          ) as { sources: Record<string, { ast: AstNode }> }
        ).sources["C.sol"]!.ast,
      );
      return found!;
    };
    expect(sideEffectFree(cond("a < l.length && l[a] != 0"))).to.equal(true);
    expect(sideEffectFree(cond("bytes32(a) == bytes32(0)"))).to.equal(true);
    expect(sideEffectFree(cond("a++ > 0"))).to.equal(false);
    expect(sideEffectFree(cond("(a = 1) > 0"))).to.equal(false);
    expect(sideEffectFree(cond("g(a)"))).to.equal(false);
  });
});

function lineAt(source: string, index: number): number {
  let i = index;
  while (/\s/.test(source[i] ?? "")) i++;
  return source.slice(0, i).split("\n").length;
}
