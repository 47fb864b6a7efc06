/**
 * The explorer against a real chain and a real browser: a `hardhat node` child process populated with the
 * demo's story (scripts/lib/explorer-story.ts: honest answers, agreeing answers, a lie slashed by the referee, a
 * refund), the explorer's indexer and web server in-process, and Debian's chromium driven by playwright-core.
 * Each test opens a page and checks what a person sees.
 */
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { loadConfig } from "../../explorer/config.js";
import { openExplorer, type Explorer } from "../../explorer/explorer.js";
import { tellStory, type Story } from "../../scripts/lib/explorer-story.js";
import { createdRequestIn } from "../../sdk/requests.js";
import { assigned, request, inlineParams, rpc } from "../../scripts/lib/devnet.js";

export const CHROMIUM = process.env.VERDICT_CHROMIUM ?? "/usr/bin/chromium";

describe("explorer: pages in a real browser over a real chain", function () {
  let story: Story;
  let explorer: Explorer;
  let base: string;
  let browser: Browser;
  let page: Page;
  let dir: string;

  const open = async (p: string): Promise<number> => {
    const res = await page.goto(base + p);
    return res?.status() ?? 0;
  };
  const text = (selector = "main"): Promise<string> => page.locator(selector).innerText();

  before(async function () {
    this.timeout(300_000);
    story = await tellStory();
    dir = mkdtempSync(path.join(tmpdir(), "verdict-explorer-"));
    const { config, provider } = await loadConfig({
      VERDICT_RPC_URL: story.devnet.url,
      VERDICT_COORDINATOR_ADDRESS: story.devnet.addresses.coordinator,
      VERDICT_START_BLOCK: "0",
      VERDICT_EXPLORER_DB: path.join(dir, "explorer.db"),
      VERDICT_EXPLORER_PORT: "0",
      // Small windows: the story spans many of them, so bounded reads and per-window commits are exercised.
      VERDICT_LOG_MAX_RANGE: "16",
      VERDICT_CONFIRMATIONS: "0",
    });
    explorer = openExplorer(config, provider);
    await explorer.catchUp();
    base = await explorer.serve();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    page = await browser.newPage();
  });

  after(async function () {
    await browser?.close();
    await explorer?.stop();
    await story?.devnet.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("Network: the operators with the liar jailed and slashed, fees, refunds, and both distributions", async function () {
    expect(await open("/")).to.equal(200);
    const t = await text();
    expect(t).to.contain("Operators");
    expect(t).to.match(/5\s*operators/);
    const liarRow = page.locator("tr", { has: page.locator(`a[title="${story.liar}"]`) }).first();
    const row = await liarRow.innerText();
    expect(row).to.contain("jailed");
    expect(row).to.match(/\d[\d,.]* OPG/); // its slash, in the slashed column
    expect(t).to.match(/1 · [\d,.]+ OPG\s*slashes/);
    expect(t).to.contain("refunded");
    expect(t).to.contain("Nakamoto");
    expect(t).to.contain("HHI");
    expect(await page.locator("figure.chart svg").count()).to.equal(3);
    expect(await page.locator('figure.chart rect[fill="#c8413b"]').count()).to.be.greaterThan(0); // the jailed pool in red
  });

  it("Request: the lie's trail — signature verified, the referee's verdict, the liar slashed, the requester compensated", async function () {
    expect(await open(`/request/${story.lie.requestId}`)).to.equal(200);
    const t = await text();
    expect(t).to.contain("Corrected");
    expect(await page.locator("#verdict").innerText()).to.contain("Trail verified");
    // The liar's answer carries a valid signature: it did sign the lie, which is why it is accountable.
    expect(await page.locator("#answers .sig-ok").count()).to.equal(1);
    expect(await page.locator("#answers").innerText()).to.contain("signature verified");
    const settlement = await page.locator("#settlement").innerText();
    expect(settlement).to.match(/slashed\s+0x/);
    expect(settlement).to.contain("lost");
    expect(settlement).to.contain("refunded to the requester");
    expect(settlement).to.contain("requester compensated");
    expect(t).to.contain("Referee");
    expect(t).to.contain("wrong: slashed");
  });

  it("Request: the draw shows who sent assign, when, the ticket and seed; an undrawn request waits for it", async function () {
    const lie = story.lie.assignment!;
    expect(await open(`/request/${story.lie.requestId}`)).to.equal(200);
    const draw = await text("#draw");
    expect(draw).to.contain(`Drawn at block ${lie.blockNumber}`);
    expect(draw).to.contain(lie.transactionHash.toLowerCase());
    const sender = (await story.devnet.provider.getTransaction(lie.transactionHash))!.from;
    expect(draw.toLowerCase()).to.contain(sender.toLowerCase());
    const t = await text();
    expect(t).to.contain(`Ticket ${lie.ticket}`);
    expect(t).to.contain("0x" + lie.seed.toString(16).padStart(64, "0"));

    // A request made without its assign: indexed, but nobody is drawn until someone calls assign.
    const d = story.devnet;
    const params = inlineParams({ hash: story.models.mlp }, new Uint8Array([0x56, 0x54, 0x4e, 0x31, 0]));
    const receipt = await (await d.coordinator.requestInference(params, { gasLimit: 1_500_000n })).wait();
    const created = createdRequestIn(receipt!.logs);
    await explorer.catchUp();
    expect(await open(`/request/${created.requestId}`)).to.equal(200);
    expect(await text("h1")).to.contain("Requested");
    expect(await text("#draw")).to.contain(`Waiting for its draw: ticket ${created.ticket}`);
    const drawn = await assigned(d, created);
    await explorer.catchUp();
    expect(await open(`/request/${created.requestId}`)).to.equal(200);
    expect(await text("h1")).to.contain("Assigned");
    expect(await text("#draw")).to.contain(`Drawn at block ${drawn.assignment!.blockNumber}`);
    const op = drawn.request.operators[0]!.toLowerCase();
    expect(await page.locator(`#draw + p + table a[title="${op}"]`).count()).to.equal(1);
  });

  it("Request: two answers that differ agree within tolerance, both signatures verified, fees paid", async function () {
    expect(await open(`/request/${story.agreeing.requestId}`)).to.equal(200);
    const t = await text();
    expect(t).to.contain("Finalized");
    expect(await page.locator("#answers .sig-ok").count()).to.equal(2);
    expect(await page.locator("#answers .sig-bad").count()).to.equal(0);
    expect(t).to.match(/agreement recomputed \(tolerance 2\): answers agree/);
    const settlement = await page.locator("#settlement").innerText();
    expect(settlement).to.contain("to operators' pools");
    expect(settlement).to.contain("model royalty");
  });

  it("Request: the unanswered request expired and its requester got the whole fee back", async function () {
    expect(await open(`/request/${story.expired.requestId}`)).to.equal(200);
    const t = await text();
    expect(t).to.contain("Expired");
    expect(t).to.contain("No answer posted");
    const settlement = await page.locator("#settlement").innerText();
    expect(settlement).to.contain("refunded to the requester");
    expect(settlement).to.contain(story.expired.request.requester);
    expect(await page.locator("#verdict").innerText()).to.contain("Trail verified");
  });

  it("Operator: the liar's page shows the slash, the lost dispute and the jail; an honest one's yield", async function () {
    expect(await open(`/operator/${story.liar}`)).to.equal(200);
    const t = await text();
    expect(t).to.contain("jailed until");
    expect(t).to.match(/1\s*disputes lost/);
    expect(t).to.not.contain("Never slashed");
    expect(t).to.contain("self-stake");
    expect(t).to.contain("delegated stake");
    const honest = story.agreeing.request.operators.find((o) => o !== story.liar)!;
    expect(await open(`/operator/${honest}`)).to.equal(200);
    const h = await text();
    expect(h).to.contain("Never slashed");
    expect(await page.locator("#yield").innerText()).to.match(/per 1,000 OPG staked/);
  });

  it("Model, Disputes and Power pages show what they promise", async function () {
    expect(await open(`/model/${story.models.int}`)).to.equal(200);
    let t = await text();
    expect(t).to.contain("admitted by governance");
    expect(t).to.contain("Corrected");
    expect(await open("/disputes")).to.equal(200);
    t = await text();
    expect(t).to.contain("Settled (1)");
    expect(t).to.contain("Referee");
    expect(await open("/power")).to.equal(200);
    t = await page.locator("#power").innerText();
    expect(t).to.contain("proposer");
    expect(t).to.contain("60 s timelock");
    expect(t).to.contain("arbiter");
    expect(t).to.contain("slashers (fixed at deployment)");
  });

  it("Search: a request id, an operator, a model hash and a transaction hash each lead to their page", async function () {
    await open("/");
    await page.fill('input[name="q"]', String(story.lie.requestId));
    await page.press('input[name="q"]', "Enter");
    await page.waitForURL(`**/request/${story.lie.requestId}`);
    await page.fill('input[name="q"]', story.liar.toLowerCase());
    await page.press('input[name="q"]', "Enter");
    await page.waitForURL(`**/operator/${story.liar}`);
    await page.fill('input[name="q"]', story.models.mlp);
    await page.press('input[name="q"]', "Enter");
    await page.waitForURL(`**/model/${story.models.mlp.toLowerCase()}`);
    await page.fill('input[name="q"]', story.expired.transactionHash);
    await page.press('input[name="q"]', "Enter");
    await page.waitForURL(`**/request/${story.expired.requestId}`);
  });

  it("Bad input: an unknown id is a 404 page, a malformed hash a 400 page, never a stack trace", async function () {
    expect(await open("/request/999999")).to.equal(404);
    expect(await text("#error")).to.contain("No request #999999");
    expect(await open("/model/0x1234")).to.equal(400);
    expect(await text("#error")).to.contain("not a model hash");
    expect(await open("/operator/0xnothex")).to.equal(400);
    expect(await open(`/operator/0x${"ab".repeat(20)}`)).to.equal(404);
    expect(await open("/search?q=%3Cscript%3E")).to.equal(400);
    expect(await open("/nope/1/2")).to.equal(404);
    for (const p of ["/request/999999", "/model/0x1234", "/search?q=%3Cscript%3E"]) {
      await open(p);
      const body = await page.content();
      expect(body).to.not.match(/at [\w.]+ \(|node:internal|Error:/);
      expect(body).to.not.contain("<script>");
    }
    const api = await fetch(`${base}/api/request/abc`);
    expect(api.status).to.equal(400);
    expect(((await api.json()) as { error: { code: string } }).error.code).to.equal("BAD_INPUT");
  });

  it("API: the request's JSON carries the same verified checks", async function () {
    const res = await fetch(`${base}/api/request/${story.lie.requestId}`);
    expect(res.status).to.equal(200);
    const body = (await res.json()) as { verified: boolean; checks: { ok: boolean; label: string }[] };
    expect(body.verified).to.equal(true);
    expect(body.checks.some((c) => c.ok && c.label.includes("EIP-712 signature"))).to.equal(true);
  });

  it("Indexer: resumes from its cursor, and a reorg rolls back what it had indexed", async function () {
    const d = story.devnet;
    const snapshot = await rpc<string>(d.url, "evm_snapshot");
    const c = await request(
      d,
      inlineParams({ hash: story.models.mlp }, new Uint8Array([0x56, 0x54, 0x4e, 0x31, 0])),
    );
    await explorer.catchUp();
    expect(explorer.views.q.request(c.requestId.toString())).to.not.equal(undefined);
    // The chain forgets that block and grows a longer branch without the request.
    await rpc(d.url, "evm_revert", [snapshot]);
    d.requesterWallet.reset();
    await rpc(d.url, "hardhat_mine", ["0x3"]);
    const r = await explorer.catchUp();
    expect(r.rolledBackTo).to.be.a("number");
    expect(explorer.views.q.request(c.requestId.toString())).to.equal(undefined);
    expect(await open(`/request/${c.requestId}`)).to.equal(404);
    // Idempotent resume: another poll indexes nothing new.
    expect((await explorer.indexer.poll()).events).to.equal(0);
  });

  it("Indexer: a reorg that drops a draw puts the request back to waiting for it", async function () {
    const d = story.devnet;
    const params = inlineParams({ hash: story.models.mlp }, new Uint8Array([0x56, 0x54, 0x4e, 0x31, 0]));
    const receipt = await (await d.coordinator.requestInference(params, { gasLimit: 1_500_000n })).wait();
    const created = createdRequestIn(receipt!.logs);
    await explorer.catchUp();
    const id = created.requestId.toString();
    const snapshot = await rpc<string>(d.url, "evm_snapshot");
    const drawn = await assigned(d, created);
    await explorer.catchUp();
    expect(explorer.views.q.request(id)?.draw?.block).to.equal(drawn.assignment!.blockNumber);
    expect(explorer.views.q.request(id)?.status).to.equal("Assigned");
    // The branch with the draw is forgotten: the request, created before it, waits again.
    await rpc(d.url, "evm_revert", [snapshot]);
    d.requesterWallet.reset();
    await rpc(d.url, "hardhat_mine", ["0x3"]);
    expect((await explorer.catchUp()).rolledBackTo).to.be.a("number");
    const back = explorer.views.q.request(id);
    expect(back?.status).to.equal("Requested");
    expect(back?.draw).to.equal(undefined);
    expect(back?.operators).to.deep.equal([]);
    expect(back?.ticket).to.equal(created.ticket.toString());
    expect(await open(`/request/${id}`)).to.equal(200);
    expect(await text("#draw")).to.contain("Waiting for its draw");
  });
});
