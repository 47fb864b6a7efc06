/** The HTML pages: one function per page, rendering the data of views.ts. */
import { formatEther } from "ethers";
import { Outcome } from "../sdk/eip712.js";
import { describeAttestedReason, reasonInfo } from "../sdk/reasons.js";
import type { Concentration } from "../sdk/stats.js";
import { barChart } from "./charts.js";
import { Html, account, addr, html, modelLink, opg, reqLink, short, when } from "./html.js";
import type { PowerRole } from "./live.js";
import type { DisputeSummary, RequestDetail, RequestSummary } from "./queries.js";
import type { ModelView, NetworkView, OperatorView, RequestView } from "./views.js";

const num = (v: number | bigint): string => v.toLocaleString("en-US");
const bps = (v: number | bigint): string =>
  `${(Number(v) / 100).toLocaleString("en-US", { maximumFractionDigits: 2 })}%`;
const card = (value: unknown, label: string, cls = ""): Html =>
  html`<div class="card ${cls}"><b>${value}</b><span>${label}</span></div>`;

type Column = string | { label: string; cls: string };
/** A numeric (right-aligned) column. */
const right = (label: string): Column => ({ label, cls: "num" });

/** A table's header row. */
function thead(...cols: Column[]): Html {
  return html`<thead>
    <tr>
      ${cols.map((c) => (typeof c === "string" ? html`<th>${c}</th>` : html`<th class="${c.cls}">${c.label}</th>`))}
    </tr>
  </thead>`;
}

/** A cell with its own class (else a cell takes its column's). */
class Cell {
  constructor(
    readonly value: unknown,
    readonly cls: string,
  ) {}
}
const cell = (value: unknown, cls: string): Cell => new Cell(value, cls);

/** A table of `items`: the header row, then one row of `cells(item, i)` per item. */
function table<T>(
  cols: readonly Column[],
  items: readonly T[],
  cells: (item: T, i: number) => readonly unknown[],
  id?: string,
): Html {
  const td = (v: unknown, col: Column | undefined): Html => {
    const cls = v instanceof Cell ? v.cls : typeof col === "object" ? col.cls : "";
    return html`<td${cls ? new Html(` class="${cls}"`) : ""}>${v instanceof Cell ? v.value : v}</td>`;
  };
  return html`<table${id ? new Html(` id="${id}"`) : ""}>
    ${thead(...cols)}
    <tbody>
      ${items.map(
        (x, i) =>
          html`<tr>
            ${cells(x, i).map((v, j) => td(v, cols[j]))}
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function statusBadge(status: string): Html {
  const tone =
    status === "Corrected" || status === "Expired" || status === "Disputed"
      ? "bad"
      : status === "Finalized" || status === "Answered"
        ? "ok"
        : "warn";
  return html`<span class="badge ${tone}">${status}</span>`;
}

function requestsTable(rows: readonly RequestSummary[]): Html {
  if (rows.length === 0) return html`<p class="muted">No requests yet.</p>`;
  return table(
    ["request", "created", "model", "requester", right("k"), right("fee"), "status"],
    rows,
    (r) => [
      reqLink(r.requestId),
      when(r.time),
      modelLink(r.modelHash),
      account(r.requester),
      r.k,
      opg(BigInt(r.feePerOperator) * BigInt(r.k)),
      statusBadge(r.status),
    ],
  );
}

function concentrationRow(label: string, c: Concentration): Html {
  return html`<tr>
    <td>${label}</td>
    <td class="num">${c.count}</td>
    <td class="num">${c.nakamoto33}</td>
    <td class="num">${c.nakamoto50}</td>
    <td class="num">${num(c.hhi)}</td>
    <td class="num">${bps(c.top5Bps)}</td>
  </tr>`;
}

function disputesTable(rows: readonly DisputeSummary[]): Html {
  if (rows.length === 0) return html`<p class="muted">No disputes.</p>`;
  const cols = ["request", "opened", "challenger", right("bond"), right("rounds"), "jurors", right("votes")];
  return table([...cols, "status", "decided by", right("slashed")], rows, (d) => [
    reqLink(d.requestId),
    when(d.openedAt),
    d.challenger.startsWith("0x") ? account(d.challenger) : d.challenger,
    opg(d.bond),
    d.rounds,
    d.jurors.length === 0 ? "—" : d.jurors.map((j) => html`${addr(j)} `),
    d.votes,
    html`<span class="badge ${d.status === "settled" ? "ok" : "warn"}">${d.status}</span>`,
    html`${d.method ?? "—"}${d.wrongMask !== undefined ? html` <span class="muted">(${d.wrongMask === 0 ? "the answer stood" : `wrong: mask ${d.wrongMask}`})</span>` : ""}`,
    d.slashed !== undefined ? opg(d.slashed) : "—",
  ]);
}

export function networkPage(v: NetworkView): Html {
  const ops = v.operators;
  const stakeBars = ops.map((o, i) => ({
    label: `#${i} ${short(o.operator, 3)}`,
    value: Number(formatEther(o.stake)),
    title: `${o.operator}: ${opg(o.stake)}${o.jailed ? " (jailed)" : ""}`,
    href: `/operator/${o.operator}`,
    tone: (o.jailed ? "bad" : o.status === "Active" ? "normal" : "muted") as "bad" | "normal" | "muted",
  }));
  const assignBars = ops.map((o, i) => ({
    label: `#${i} ${short(o.operator, 3)}`,
    value: o.assigned,
    title: `${o.operator}: ${o.assigned} assignments`,
    href: `/operator/${o.operator}`,
    tone: (o.jailed ? "bad" : "normal") as "bad" | "normal",
  }));
  const hourBars = v.requestsPerHour.map((h) => ({
    label: new Date(h.hour * 1000).toISOString().slice(11, 16),
    value: h.count,
    title: `${when(h.hour)}: ${h.count} requests`,
  }));
  const c = v.concentration;
  return html`<h1>Network</h1>
    <div class="cards">
      ${card(num(ops.length), "operators")}${card(opg(v.totalStake), "total stake")}${card(num(v.requests), "requests")}
      ${card(opg(v.fees.toOperators + v.fees.royalty + v.fees.treasury), "fees paid")}${card(opg(v.fees.refunds), "refunded")}
      ${card(`${v.slashes.count} · ${opg(v.slashes.total)}`, "slashes", v.slashes.count > 0 ? "bad" : "")}
    </div>
    <p class="muted">
      Requests by status:
      ${Object.entries(v.statusCounts).map(([s, n]) => html`${statusBadge(s)} ${num(n)} `)}
    </p>
    <div class="grid2">
      ${new Html(barChart(stakeBars, { title: "Stake distribution (OPG per operator pool; red: jailed)", unit: "" }))}
      ${new Html(barChart(assignBars, { title: "Assignment distribution (requests drawn per operator)" }))}
    </div>
    ${new Html(barChart(hourBars, { title: "Requests per hour", height: 160 }))}
    <h2>Concentration</h2>
    <table>
      ${thead("measure", right("operators"), right("Nakamoto (⅓)"), right("Nakamoto (½)"), right("HHI"), right("top-5 share"))}
      <tbody>
        ${concentrationRow("stake (pool assets)", c.stake)}${concentrationRow("draw weight, uncapped", c.uncapped)}${concentrationRow("draw weight, capped (what selection uses)", c.capped)}${concentrationRow("assignments actually drawn", c.assignments)}
      </tbody>
    </table>
    <h2>Operators</h2>
    <table>
      ${thead("#", "operator", "status", right("stake"), right("commission"), right("assigned"), right("served"), right("disputed"), right("lost"), right("missed"), right("slashed"))}
      <tbody>
        ${ops.map(
          (o, i) =>
            html`<tr${o.jailed ? new Html(' class="jailed"') : ""}><td>${i}</td><td>${addr(o.operator)}</td><td>${o.status}${o.jailed ? html` <span class="badge bad">jailed</span>` : ""}</td><td class="num">${opg(o.stake)}</td><td class="num">${bps(o.commissionBps)}</td><td class="num">${num(o.assigned)}</td><td class="num">${num(o.served)}</td><td class="num">${num(o.disputed)}</td><td class="num ${o.lost > 0 ? "bad" : ""}">${num(o.lost)}</td><td class="num">${num(o.missed)}</td><td class="num ${o.slashed > 0n ? "bad" : ""}">${o.slashed > 0n ? opg(o.slashed) : "—"}</td></tr>`,
        )}
      </tbody>
    </table>
    <h2>Latest requests</h2>
    ${requestsTable(v.recent)}`;
}

const OUTCOME = ["result", "invalid input", "cannot serve"];

type Trail = NonNullable<RequestView["audit"]>["trail"];
type Check = NonNullable<RequestView["audit"]>["verification"]["checks"][number];
type Settlement = NonNullable<Trail["settlement"]>;

export function requestPage(v: RequestView): Html {
  const s = v.summary;
  const t = v.audit?.trail;
  const checks = v.audit?.verification.checks ?? [];
  return html`<h1>Request #${s.requestId} ${statusBadge(s.status)}</h1>
    ${verdictBanner(v)}
    <h2>Request</h2>
    ${requestTable(s, t)}
    <h2>Draw</h2>
    ${drawSection(s, t)}
    <h2>Answers</h2>
    ${answersSection(t, checks)} ${v.dispute ? disputeSection(v.dispute) : ""}
    <h2>Settlement</h2>
    ${t?.settlement ? settlementTable(v, t, t.settlement) : notSettled(t)}
    <h2>Callback</h2>
    ${callbackSection(v, t)}
    <h2>Checks</h2>
    <ul id="checks">
      ${checks.map((c) => html`<li class="${c.ok ? "ok" : "bad"}">${c.ok ? "✔" : "✘"} ${c.label}${!c.ok && c.detail ? html` — <span class="muted">${c.detail}</span>` : ""}</li>`)}
    </ul>
    <h2>Events</h2>
    ${eventsTable(v.events, true)}`;
}

/** Whether the SDK's audit of the trail verified, failed, or could not run. */
function verdictBanner(v: RequestView): Html {
  const id = v.summary.requestId;
  if (!v.audit)
    return html`<p class="bad" id="verdict">
      The trail could not be read from the chain: ${v.auditError ?? "unknown error"}
    </p>`;
  return v.audit.verification.ok
    ? html`<p class="ok" id="verdict">
        ✔ Trail verified: every hash and signature checked by the SDK (the same checks as
        <code>verdict audit ${id}</code>).
      </p>`
    : html`<p class="bad" id="verdict">✘ The trail does NOT verify (see the checks below).</p>`;
}

/** A two-column row: a heading cell and its value. */
const row = (label: unknown, value: unknown, cls = ""): Html =>
  html`<tr${cls ? new Html(` class="${cls}"`) : ""}>
    <th>${label}</th>
    <td>${value}</td>
  </tr>`;

/** The request as created: who, which model, which input, the fee and the terms. */
function requestTable(s: RequestDetail, t: Trail | undefined): Html {
  const req = t?.created.request;
  const input = t
    ? t.created.inputURI
      ? html` · URI ${t.created.inputURI}`
      : html` · inline, ${(t.created.input.length - 2) / 2} bytes`
    : "";
  return html`<table>
    <tbody>
      ${row("created", html`${when(s.time)} · block ${s.block} · tx <span class="mono">${s.tx}</span>`)}
      ${row("requester", html`<span class="mono">${s.requester}</span>`)}
      ${row("model", modelLink(s.modelHash))}
      ${row("input", html`<span class="mono">hash ${s.inputHash}${input}</span>`)}
      ${row("fee", `${opg(s.feePerOperator)} × k = ${s.k} → ${opg(BigInt(s.feePerOperator) * BigInt(s.k))} escrowed`)}
      ${
        req
          ? row(
              "terms",
              `deadline ${when(Number(req.deadline))} · dispute window ${req.disputeWindow} s · tolerance ` +
                `${req.tolerance} · royalty ${bps(req.royaltyBps)} · treasury ${bps(req.treasuryBps)} · ` +
                `${Number(req.finality) === 0 ? "FAST" : "FINAL"} · callback ${req.callback} ` +
                `(${req.callbackGasLimit} gas)`,
            )
          : ""
      }
    </tbody>
  </table>`;
}

/** The draw: waiting for its ticket's block, or who drew whom with which seed. */
function drawSection(s: RequestDetail, t: Trail | undefined): Html {
  if (s.draw === undefined)
    return html`<p class="muted" id="draw">
      Waiting for its draw: ticket ${s.ticket} (the block whose hash will seed it). Anyone may call
      <code>assign</code> once that block exists; until then no operator is assigned.
    </p>`;
  const settlement = t?.settlement;
  const wrong = (i: number): boolean =>
    settlement?.event === "RequestCorrected" && (settlement.mask & (1 << i)) !== 0;
  return html`<p id="draw">
      Drawn at block ${s.draw.block} (${when(s.draw.time)}) by
      <span class="mono">${s.draw.by}</span> · tx <span class="mono">${s.draw.tx}</span>
    </p>
    <p>
      Ticket ${s.draw.ticket} · seed <span class="mono">${seedHex(s.draw.seed)}</span> drew ${s.k}
      operator(s), stake-weighted with capped weights:
    </p>
    ${table(["slot", "operator"], s.operators, (o, i) => [
      i,
      html`${addr(o)}${wrong(i) ? html` <span class="badge bad">wrong: slashed</span>` : ""}`,
    ])}`;
}

/** The answers posted, each with its signature check, and the agreement check. */
function answersSection(t: Trail | undefined, checks: readonly Check[]): Html {
  const sigCheck = (index: number): Html => {
    const c = checks.find((x) => x.label.startsWith(`answer #${index}: EIP-712 signature`));
    if (c === undefined) return html`<span class="muted">not checked</span>`;
    return c.ok
      ? html`<span class="ok sig-ok">✔ signature verified</span> <span class="muted">${c.detail ?? ""}</span>`
      : html`<span class="bad sig-bad">✘ signature does not verify</span>
          <span class="muted">${c.detail ?? ""}</span>`;
  };
  const answers =
    t && t.answers.length > 0
      ? table(
          ["slot", "operator", "outcome", "output hash", "signature"],
          t.answers,
          (a) => [
            a.index,
            addr(a.operator),
            html`${OUTCOME[a.outcome] ?? a.outcome}${a.outcome === Outcome.RESULT ? html` <span class="muted">(${(a.output.length - 2) / 2} bytes)</span>` : html` <span class="reason">${describeAttestedReason(a.outcome, a.outputHash) ?? ""}</span>`}`,
            cell(short(a.outputHash, 10), "mono"),
            sigCheck(a.index),
          ],
          "answers",
        )
      : html`<p class="muted">No answer posted.</p>`;
  return html`${answers}
  ${checks.filter((c) => c.label.startsWith("agreement")).map((c) => html`<p class="${c.ok ? "ok" : "bad"}">${c.ok ? "✔" : "✘"} ${c.label}${t && t.disagreements.length > 0 ? " — the chain opened a dispute" : ""}</p>`)}`;
}

function disputeSection(d: NonNullable<RequestView["dispute"]>): Html {
  return html`<h2>Dispute</h2>
    ${disputesTable([d])} ${eventsTable(d.events, false)}`;
}

/** Where the fee went: pools, royalty, treasury, refund, rewards, slashes, jails, dispute payouts. */
function settlementTable(v: RequestView, t: Trail, settlement: Settlement): Html {
  const ev = (name: string) => v.events.filter((e) => e.name === name);
  const payouts = ev("DisputePayouts")[0];
  const amount = (label: string, x: bigint, cls = ""): Html | "" => (x > 0n ? row(label, opg(x), cls) : "");
  return html`<table id="settlement">
    <tbody>
      ${row("outcome", `${settlement.event.replace("Request", "")} at block ${settlement.blockNumber}`)}
      ${amount("to operators' pools", settlement.toOperators)}${amount("model royalty", settlement.royalty)}
      ${amount("treasury", settlement.treasury)}
      ${
        settlement.refund > 0n
          ? row(
              "refunded to the requester",
              html`<b>${opg(settlement.refund)}</b> → <span class="mono">${v.summary.requester}</span>`,
              "refund",
            )
          : ""
      }
      ${ev("RewardsDistributed").map((r) =>
        row(
          html`pool of ${addr(String(r.operator))}`,
          `${opg(String(r.args.amount))}: commission ${opg(String(r.args.commission))}, delegators ` +
            opg(String(r.args.toDelegators)),
        ),
      )}
      ${t.slashes.map((x) =>
        row(
          "slashed",
          html`<span class="bad">${addr(x.operator)} lost ${opg(x.slashed)}</span> (slasher
            ${account(x.slasher)})`,
          "slash",
        ),
      )}
      ${t.jails.map((j) => row("jailed", html`${addr(j.operator)} until ${when(Number(j.until))}`))}
      ${
        payouts
          ? row(
              "dispute payouts",
              `requester compensated ${opg(String(payouts.args.compensation))} · challenger paid ` +
                `${opg(String(payouts.args.challengerPaid))} · jurors ${opg(String(payouts.args.toJurors))} · ` +
                `operators ${opg(String(payouts.args.toOperators))} · burned ${opg(String(payouts.args.burned))}`,
            )
          : ""
      }
    </tbody>
  </table>`;
}

function notSettled(t: Trail | undefined): Html {
  return html`<p class="muted">
    Not settled
    yet${t?.chain.windowEnds ? html` (dispute window ends ${when(Number(t.chain.windowEnds))})` : ""}.
  </p>`;
}

function callbackSection(v: RequestView, t: Trail | undefined): Html {
  const req = t?.created.request;
  const callbacks = v.events.filter((e) => e.name === "CallbackResult");
  if (callbacks.length === 0)
    return html`<p class="muted">
      ${req && BigInt(req.callback) !== 0n ? "No callback yet." : "No callback requested."}
    </p>`;
  return html`${callbacks.map(
    (c) =>
      html`<p class="${c.args.success ? "ok" : "bad"}">
        ${c.args.success ? "✔ callback succeeded" : "✘ callback failed (recorded; settlement went on)"}${c.args.corrected ? " (correction)" : ""}
        at block ${c.block}
      </p>`,
  )}`;
}

/** Events as a table: block, (contract,) name and decoded arguments. */
function eventsTable(events: RequestView["events"], withSource: boolean): Html {
  if (!withSource)
    return table(["block", "event", "details"], events, (e) => [
      e.block,
      e.name,
      cell(argsText(e.args), "mono"),
    ]);
  return table(["block", "contract", "event", "details"], events, (e) => [
    e.block,
    e.source,
    e.name,
    cell(argsText(e.args), "mono"),
  ]);
}

/** A seed as 32-byte hex (the event's bytes32; older rows may hold a decimal). */
function seedHex(seed: string): string {
  return "0x" + BigInt(seed).toString(16).padStart(64, "0");
}

/** An answer's reason code (outcome ≠ RESULT) with its name, as sdk/reasons.ts names it. */
function reasonText(args: Record<string, unknown>): string | undefined {
  if (args.outcome === undefined || args.outputHash === undefined) return undefined;
  const outcome = Number(args.outcome);
  if (outcome === Outcome.RESULT) return undefined;
  const code = BigInt(String(args.outputHash));
  return reasonInfo(code)?.name ?? `${code} (unknown reason)`;
}

function argsText(args: Record<string, unknown>): string {
  const reason = reasonText(args);
  return Object.entries(args)
    .filter(
      ([k]) => !["packed", "output", "signature", "requestId", "disputeId", "claimedOutput"].includes(k),
    )
    .map(([k, x]) => {
      if (k === "outputHash" && reason !== undefined) return `reason=${reason}`;
      return `${k}=${typeof x === "object" ? JSON.stringify(x) : String(x)}`;
    })
    .join(" ")
    .slice(0, 400);
}

export function operatorPage(v: OperatorView): Html {
  const d = v.detail;
  const y = v.delegatorYield;
  return html`<h1>
      Operator
      <span class="mono">${d.operator}</span>
      ${d.jailed ? html`<span class="badge bad">jailed until ${when(d.jailedUntil)}</span>` : html`<span class="badge ok">${d.status}</span>`}
    </h1>
    <div class="cards">
      ${card(opg(d.selfStake), "self-stake")}${card(opg(d.delegated), "delegated stake")}${card(bps(d.commissionBps), "commission")}
      ${card(num(v.assigned), "assigned")}${card(num(v.answered), "answered")}${card(num(d.record.missed), "missed")}
      ${card(num(d.record.disputed), "disputed")}${card(num(v.disputesWon), "disputes won")}${card(num(v.disputesLost), "disputes lost", v.disputesLost > 0 ? "bad" : "")}
      ${card(opg(v.slashed), "OPG slashed", v.slashed > 0n ? "bad" : "")}${card(opg(v.earned), "OPG earned (pool)")}
    </div>
    <table>
      <tbody>
        ${row("signer (signs attestations)", html`<span class="mono">${d.signer}</span>`)}
        ${row(
          "status",
          html`${d.status}${d.jailed ? html` · <span class="bad">jailed until ${when(d.jailedUntil)}</span>` : ""}
          · open disputes ${d.openDisputes}`,
        )}
        ${row("pool", html`${opg(d.pool)} (capped draw weight ${opg(d.effectiveWeight)})`)}
        ${row(
          "commission",
          html`${bps(d.commissionBps)}${d.pendingCommissionBps !== d.commissionBps && d.commissionReadyAt > 0 ? html` → ${bps(d.pendingCommissionBps)} from ${when(d.commissionReadyAt)}` : ""}`,
        )}
        ${row("metadata", html`<span class="mono">${d.metadataURI}</span>`)}
        ${row("fees accrued (coordinator)", html`${opg(d.record.accruedFees)}`)}
      </tbody>
    </table>
    <h2>A delegator's view</h2>
    <p id="yield">
      Over the indexed period (${(y.periodSeconds / 3600).toFixed(1)} h) the pool paid its delegators
      ${opg(v.toDelegators)} after ${bps(d.commissionBps)} commission: <b>${opg(y.per1000)}</b> per 1,000 OPG
      staked, about <b>${bps(y.aprBps)}</b> a year at that pace. Slashes land on every delegator's shares:
      ${opg(v.slashed)} so far.
    </p>
    <h2>Slashes</h2>
    ${slashesTable(v.slashes)}
    <h2>Disputes</h2>
    ${disputesTable(v.disputes)}
    <h2>Latest assigned requests</h2>
    ${requestsTable(v.recent)}`;
}

/** An operator's slashes: when, for which request, how much, by whom. */
function slashesTable(slashes: OperatorView["slashes"]): Html {
  if (slashes.length === 0) return html`<p class="muted">Never slashed.</p>`;
  return table(["block", "request", right("slashed"), "by"], slashes, (e) => [
    e.block,
    e.requestId ? reqLink(e.requestId) : "—",
    cell(opg(String(e.args.slashed)), "num bad"),
    account(String(e.args.slasher)),
  ]);
}

export function modelPage(v: ModelView): Html {
  const d = v.detail;
  let schema = d.ioSchema;
  try {
    schema = JSON.stringify(JSON.parse(d.ioSchema), null, 1);
  } catch {
    /* shown as registered */
  }
  return html`<h1>
      Model
      <span class="mono">${d.hash}</span>
      ${d.active ? html`<span class="badge ok">active</span>` : html`<span class="badge bad">inactive</span>`}
    </h1>
    <table>
      <tbody>
        ${row("hash (sha256 of the ONNX bytes)", html`<span class="mono">${d.hash}</span>`)}
        ${row("owner", html`<span class="mono">${d.owner}</span>`)}
        ${row("URIs", html`<span class="mono">${d.uris.map((u) => html`${u}<br />`)}</span>`)}
        ${row("fee per inference", html`${opg(d.feePerInference)} per operator · default k ${d.defaultRedundancy}`)}
        ${row("royalty", html`${bps(d.royaltyBps)} · accrued, unclaimed: ${opg(d.royaltiesAccrued)}`)}
        ${row("dispute window", html`${d.disputeWindow} s`)}
        ${row("output scale / tolerance", html`${d.outputScale} decimals · ${d.tolerance} units`)}
        ${row(
          "on-chain referee",
          BigInt(d.referee) === 0n
            ? "none (disputes go to a jury)"
            : html`<span class="mono">${d.referee}</span>
                ${d.refereeAdmitted?.toLowerCase() === d.referee.toLowerCase() ? html`<span class="badge ok">admitted by governance</span>` : html`<span class="badge warn">not admitted</span>`}`,
        )}
        ${row("model card hash", html`<span class="mono">${d.modelCardHash}</span>`)}
        ${row("I/O schema", html`<pre class="mono">${schema}</pre>`)}
      </tbody>
    </table>
    <h2>Usage</h2>
    <p>${Object.entries(v.statusCounts).map(([s, n]) => html`${statusBadge(s)} ${num(n)} `)}</p>
    <p>
      Paid to operators ${opg(v.fees.toOperators)} · royalties ${opg(v.fees.royalty)} · treasury
      ${opg(v.fees.treasury)} · refunded ${opg(v.fees.refunds)}
    </p>
    <h2>Disputes</h2>
    ${disputesTable(v.disputes)}
    <h2>Latest requests</h2>
    ${requestsTable(v.recent)}`;
}

export function disputesPage(rows: readonly DisputeSummary[]): Html {
  const open = rows.filter((d) => d.status === "open");
  const settled = rows.filter((d) => d.status !== "open");
  return html`<h1>Disputes</h1>
    <p>
      A dispute opens when someone posts a bond against an answer, or by itself when redundant answers
      disagree beyond the model's tolerance.
    </p>
    <h2>Open (${open.length})</h2>
    ${disputesTable(open)}
    <h2>Settled (${settled.length})</h2>
    ${disputesTable(settled)}`;
}

export function powerPage(roles: readonly PowerRole[]): Html {
  return html`<h1>Power</h1>
    <p>
      Every privileged role of the deployment, who holds it, how long its decisions wait before they act, and
      the bounds the contracts enforce on it — read from the chain now. No role can move a user's escrowed
      fees or stake.
    </p>
    ${table(
      ["contract", "role", "holder(s)", "delay", "bounds"],
      roles,
      (r) => [
        html`${r.contract}<br /><span class="mono muted">${short(r.address)}</span>`,
        html`<b>${r.role}</b>`,
        cell(
          r.holders.length === 0
            ? html`<span class="muted">nobody</span>`
            : r.holders.map((h) => html`${h}<br />`),
          "mono",
        ),
        r.delay,
        r.bounds,
      ],
      "power",
    )}`;
}

export function errorPage(status: number, message: string): Html {
  const title = status === 404 ? "Not found" : status === 400 ? "Bad request" : "Something went wrong";
  return html`<div class="error" id="error">
    <h1>${status} · ${title}</h1>
    <p>${message}</p>
    <p><a href="/">Back to the network</a></p>
  </div>`;
}
