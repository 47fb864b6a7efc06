/** The HTML pages: one function per page, rendering the data of views.ts. */
import { formatEther } from "ethers";
import { Outcome } from "../sdk/eip712.js";
import { describeAttestedReason, reasonInfo } from "../sdk/reasons.js";
import type { Concentration } from "../sdk/stats.js";
import { barChart } from "./charts.js";
import { Html, account, addr, html, modelLink, opg, reqLink, short, when } from "./html.js";
import type { PowerRole } from "./live.js";
import type { DisputeSummary, RequestSummary } from "./queries.js";
import type { ModelView, NetworkView, OperatorView, RequestView } from "./views.js";

const num = (v: number | bigint): string => v.toLocaleString("en-US");
const bps = (v: number | bigint): string =>
  `${(Number(v) / 100).toLocaleString("en-US", { maximumFractionDigits: 2 })}%`;
const card = (value: unknown, label: string, cls = ""): Html =>
  html`<div class="card ${cls}"><b>${value}</b><span>${label}</span></div>`;

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
  return html`<table>
    <thead>
      <tr>
        <th>request</th>
        <th>created</th>
        <th>model</th>
        <th>requester</th>
        <th class="num">k</th>
        <th class="num">fee</th>
        <th>status</th>
      </tr>
    </thead>
    <tbody>
      ${rows.map(
        (r) =>
          html`<tr>
            <td>${reqLink(r.requestId)}</td>
            <td>${when(r.time)}</td>
            <td>${modelLink(r.modelHash)}</td>
            <td>${account(r.requester)}</td>
            <td class="num">${r.k}</td>
            <td class="num">${opg(BigInt(r.feePerOperator) * BigInt(r.k))}</td>
            <td>${statusBadge(r.status)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
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
  return html`<table>
    <thead>
      <tr>
        <th>request</th>
        <th>opened</th>
        <th>challenger</th>
        <th class="num">bond</th>
        <th class="num">rounds</th>
        <th>jurors</th>
        <th class="num">votes</th>
        <th>status</th>
        <th>decided by</th>
        <th class="num">slashed</th>
      </tr>
    </thead>
    <tbody>
      ${rows.map(
        (d) =>
          html`<tr>
            <td>${reqLink(d.requestId)}</td>
            <td>${when(d.openedAt)}</td>
            <td>${d.challenger.startsWith("0x") ? account(d.challenger) : d.challenger}</td>
            <td class="num">${opg(d.bond)}</td>
            <td class="num">${d.rounds}</td>
            <td>${d.jurors.length === 0 ? "—" : d.jurors.map((j) => html`${addr(j)} `)}</td>
            <td class="num">${d.votes}</td>
            <td>${html`<span class="badge ${d.status === "settled" ? "ok" : "warn"}">${d.status}</span>`}</td>
            <td>
              ${d.method ?? "—"}${d.wrongMask !== undefined ? html` <span class="muted">(${d.wrongMask === 0 ? "the answer stood" : `wrong: mask ${d.wrongMask}`})</span>` : ""}
            </td>
            <td class="num">${d.slashed !== undefined ? opg(d.slashed) : "—"}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
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
      <thead>
        <tr>
          <th>measure</th>
          <th class="num">operators</th>
          <th class="num">Nakamoto (⅓)</th>
          <th class="num">Nakamoto (½)</th>
          <th class="num">HHI</th>
          <th class="num">top-5 share</th>
        </tr>
      </thead>
      <tbody>
        ${concentrationRow("stake (pool assets)", c.stake)}${concentrationRow("draw weight, uncapped", c.uncapped)}${concentrationRow("draw weight, capped (what selection uses)", c.capped)}${concentrationRow("assignments actually drawn", c.assignments)}
      </tbody>
    </table>
    <h2>Operators</h2>
    <table>
      <thead>
        <tr>
          <th>#</th>
          <th>operator</th>
          <th>status</th>
          <th class="num">stake</th>
          <th class="num">commission</th>
          <th class="num">assigned</th>
          <th class="num">served</th>
          <th class="num">disputed</th>
          <th class="num">lost</th>
          <th class="num">missed</th>
          <th class="num">slashed</th>
        </tr>
      </thead>
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

export function requestPage(v: RequestView): Html {
  const s = v.summary;
  const t = v.audit?.trail;
  const checks = v.audit?.verification.checks ?? [];
  const sigCheck = (index: number): Html => {
    const c = checks.find((x) => x.label.startsWith(`answer #${index}: EIP-712 signature`));
    if (c === undefined) return html`<span class="muted">not checked</span>`;
    return c.ok
      ? html`<span class="ok sig-ok">✔ signature verified</span> <span class="muted">${c.detail ?? ""}</span>`
      : html`<span class="bad sig-bad">✘ signature does not verify</span>
          <span class="muted">${c.detail ?? ""}</span>`;
  };
  const req = t?.created.request;
  const ev = (name: string) => v.events.filter((e) => e.name === name);
  const payouts = ev("DisputePayouts")[0];
  const rewards = ev("RewardsDistributed");
  const callbacks = ev("CallbackResult");
  const settlement = t?.settlement;
  const wrong = (i: number): boolean =>
    settlement?.event === "RequestCorrected" && (settlement.mask & (1 << i)) !== 0;
  return html`<h1>Request #${s.requestId} ${statusBadge(s.status)}</h1>
    ${
      v.audit
        ? v.audit.verification.ok
          ? html`<p class="ok" id="verdict">
              ✔ Trail verified: every hash and signature checked by the SDK (the same checks as
              <code>verdict audit ${s.requestId}</code>).
            </p>`
          : html`<p class="bad" id="verdict">✘ The trail does NOT verify (see the checks below).</p>`
        : html`<p class="bad" id="verdict">
            The trail could not be read from the chain: ${v.auditError ?? "unknown error"}
          </p>`
    }
    <h2>Request</h2>
    <table>
      <tbody>
        <tr>
          <th>created</th>
          <td>${when(s.time)} · block ${s.block} · tx <span class="mono">${s.tx}</span></td>
        </tr>
        <tr>
          <th>requester</th>
          <td class="mono">${s.requester}</td>
        </tr>
        <tr>
          <th>model</th>
          <td>${modelLink(s.modelHash)}</td>
        </tr>
        <tr>
          <th>input</th>
          <td class="mono">
            hash
            ${s.inputHash}${t ? (t.created.inputURI ? html` · URI ${t.created.inputURI}` : html` · inline, ${(t.created.input.length - 2) / 2} bytes`) : ""}
          </td>
        </tr>
        <tr>
          <th>fee</th>
          <td>
            ${opg(s.feePerOperator)} × k = ${s.k} → ${opg(BigInt(s.feePerOperator) * BigInt(s.k))} escrowed
          </td>
        </tr>
        ${
          req
            ? html`<tr>
                <th>terms</th>
                <td>
                  deadline ${when(Number(req.deadline))} · dispute window ${req.disputeWindow} s · tolerance
                  ${req.tolerance} · royalty ${bps(req.royaltyBps)} · treasury ${bps(req.treasuryBps)} ·
                  ${Number(req.finality) === 0 ? "FAST" : "FINAL"} · callback ${req.callback}
                  (${req.callbackGasLimit} gas)
                </td>
              </tr>`
            : ""
        }
      </tbody>
    </table>
    <h2>Draw</h2>
    ${
      s.draw === undefined
        ? html`<p class="muted" id="draw">
            Waiting for its draw: ticket ${s.ticket} (the block whose hash will seed it). Anyone may call
            <code>assign</code> once that block exists; until then no operator is assigned.
          </p>`
        : html`<p id="draw">
              Drawn at block ${s.draw.block} (${when(s.draw.time)}) by
              <span class="mono">${s.draw.by}</span> · tx <span class="mono">${s.draw.tx}</span>
            </p>
            <p>
              Ticket ${s.draw.ticket} · seed <span class="mono">${seedHex(s.draw.seed)}</span> drew ${s.k}
              operator(s), stake-weighted with capped weights:
            </p>
            <table>
              <thead>
                <tr>
                  <th>slot</th>
                  <th>operator</th>
                </tr>
              </thead>
              <tbody>
                ${s.operators.map(
                  (o, i) =>
                    html`<tr>
                      <td>${i}</td>
                      <td>
                        ${addr(o)}${wrong(i) ? html` <span class="badge bad">wrong: slashed</span>` : ""}
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>`
    }
    <h2>Answers</h2>
    ${
      t && t.answers.length > 0
        ? html`<table id="answers">
            <thead>
              <tr>
                <th>slot</th>
                <th>operator</th>
                <th>outcome</th>
                <th>output hash</th>
                <th>signature</th>
              </tr>
            </thead>
            <tbody>
              ${t.answers.map(
                (a) =>
                  html`<tr>
                    <td>${a.index}</td>
                    <td>${addr(a.operator)}</td>
                    <td>
                      ${OUTCOME[a.outcome] ?? a.outcome}${a.outcome === Outcome.RESULT ? html` <span class="muted">(${(a.output.length - 2) / 2} bytes)</span>` : html` <span class="reason">${describeAttestedReason(a.outcome, a.outputHash) ?? ""}</span>`}
                    </td>
                    <td class="mono">${short(a.outputHash, 10)}</td>
                    <td>${sigCheck(a.index)}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
        : html`<p class="muted">No answer posted.</p>`
    }
    ${checks.filter((c) => c.label.startsWith("agreement")).map((c) => html`<p class="${c.ok ? "ok" : "bad"}">${c.ok ? "✔" : "✘"} ${c.label}${t && t.disagreements.length > 0 ? " — the chain opened a dispute" : ""}</p>`)}
    ${
      v.dispute
        ? html`<h2>Dispute</h2>
            ${disputesTable([v.dispute])}
            <table>
              <thead>
                <tr>
                  <th>block</th>
                  <th>event</th>
                  <th>details</th>
                </tr>
              </thead>
              <tbody>
                ${v.dispute.events.map(
                  (e) =>
                    html`<tr>
                      <td>${e.block}</td>
                      <td>${e.name}</td>
                      <td class="mono">${argsText(e.args)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
        : ""
    }
    <h2>Settlement</h2>
    ${
      settlement
        ? html`<table id="settlement">
            <tbody>
              <tr>
                <th>outcome</th>
                <td>${settlement.event.replace("Request", "")} at block ${settlement.blockNumber}</td>
              </tr>
              ${
                settlement.toOperators > 0n
                  ? html`<tr>
                      <th>to operators' pools</th>
                      <td>${opg(settlement.toOperators)}</td>
                    </tr>`
                  : ""
              }
              ${
                settlement.royalty > 0n
                  ? html`<tr>
                      <th>model royalty</th>
                      <td>${opg(settlement.royalty)}</td>
                    </tr>`
                  : ""
              }
              ${
                settlement.treasury > 0n
                  ? html`<tr>
                      <th>treasury</th>
                      <td>${opg(settlement.treasury)}</td>
                    </tr>`
                  : ""
              }
              ${
                settlement.refund > 0n
                  ? html`<tr class="refund">
                      <th>refunded to the requester</th>
                      <td><b>${opg(settlement.refund)}</b> → <span class="mono">${s.requester}</span></td>
                    </tr>`
                  : ""
              }
              ${rewards.map(
                (r) =>
                  html`<tr>
                    <th>pool of ${addr(String(r.operator))}</th>
                    <td>
                      ${opg(String(r.args.amount))}: commission ${opg(String(r.args.commission))}, delegators
                      ${opg(String(r.args.toDelegators))}
                    </td>
                  </tr>`,
              )}
              ${t!.slashes.map(
                (x) =>
                  html`<tr class="slash">
                    <th>slashed</th>
                    <td>
                      <span class="bad">${addr(x.operator)} lost ${opg(x.slashed)}</span> (slasher
                      ${account(x.slasher)})
                    </td>
                  </tr>`,
              )}
              ${t!.jails.map(
                (j) =>
                  html`<tr>
                    <th>jailed</th>
                    <td>${addr(j.operator)} until ${when(Number(j.until))}</td>
                  </tr>`,
              )}
              ${
                payouts
                  ? html`<tr>
                      <th>dispute payouts</th>
                      <td>
                        requester compensated ${opg(String(payouts.args.compensation))} · challenger paid
                        ${opg(String(payouts.args.challengerPaid))} · jurors
                        ${opg(String(payouts.args.toJurors))} · operators
                        ${opg(String(payouts.args.toOperators))} · burned ${opg(String(payouts.args.burned))}
                      </td>
                    </tr>`
                  : ""
              }
            </tbody>
          </table>`
        : html`<p class="muted">
            Not settled
            yet${t?.chain.windowEnds ? html` (dispute window ends ${when(Number(t.chain.windowEnds))})` : ""}.
          </p>`
    }
    <h2>Callback</h2>
    ${
      callbacks.length === 0
        ? html`<p class="muted">
            ${req && BigInt(req.callback) !== 0n ? "No callback yet." : "No callback requested."}
          </p>`
        : callbacks.map(
            (c) =>
              html`<p class="${c.args.success ? "ok" : "bad"}">
                ${c.args.success ? "✔ callback succeeded" : "✘ callback failed (recorded; settlement went on)"}${c.args.corrected ? " (correction)" : ""}
                at block ${c.block}
              </p>`,
          )
    }
    <h2>Checks</h2>
    <ul id="checks">
      ${checks.map((c) => html`<li class="${c.ok ? "ok" : "bad"}">${c.ok ? "✔" : "✘"} ${c.label}${!c.ok && c.detail ? html` — <span class="muted">${c.detail}</span>` : ""}</li>`)}
    </ul>
    <h2>Events</h2>
    <table>
      <thead>
        <tr>
          <th>block</th>
          <th>contract</th>
          <th>event</th>
          <th>details</th>
        </tr>
      </thead>
      <tbody>
        ${v.events.map(
          (e) =>
            html`<tr>
              <td>${e.block}</td>
              <td>${e.source}</td>
              <td>${e.name}</td>
              <td class="mono">${argsText(e.args)}</td>
            </tr>`,
        )}
      </tbody>
    </table>`;
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
        <tr>
          <th>signer (signs attestations)</th>
          <td class="mono">${d.signer}</td>
        </tr>
        <tr>
          <th>status</th>
          <td>
            ${d.status}${d.jailed ? html` · <span class="bad">jailed until ${when(d.jailedUntil)}</span>` : ""}
            · open disputes ${d.openDisputes}
          </td>
        </tr>
        <tr>
          <th>pool</th>
          <td>${opg(d.pool)} (capped draw weight ${opg(d.effectiveWeight)})</td>
        </tr>
        <tr>
          <th>commission</th>
          <td>
            ${bps(d.commissionBps)}${d.pendingCommissionBps !== d.commissionBps && d.commissionReadyAt > 0 ? html` → ${bps(d.pendingCommissionBps)} from ${when(d.commissionReadyAt)}` : ""}
          </td>
        </tr>
        <tr>
          <th>metadata</th>
          <td class="mono">${d.metadataURI}</td>
        </tr>
        <tr>
          <th>fees accrued (coordinator)</th>
          <td>${opg(d.record.accruedFees)}</td>
        </tr>
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
    ${
      v.slashes.length === 0
        ? html`<p class="muted">Never slashed.</p>`
        : html`<table>
            <thead>
              <tr>
                <th>block</th>
                <th>request</th>
                <th class="num">slashed</th>
                <th>by</th>
              </tr>
            </thead>
            <tbody>
              ${v.slashes.map(
                (e) =>
                  html`<tr>
                    <td>${e.block}</td>
                    <td>${e.requestId ? reqLink(e.requestId) : "—"}</td>
                    <td class="num bad">${opg(String(e.args.slashed))}</td>
                    <td>${account(String(e.args.slasher))}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }
    <h2>Disputes</h2>
    ${disputesTable(v.disputes)}
    <h2>Latest assigned requests</h2>
    ${requestsTable(v.recent)}`;
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
        <tr>
          <th>hash (sha256 of the ONNX bytes)</th>
          <td class="mono">${d.hash}</td>
        </tr>
        <tr>
          <th>owner</th>
          <td class="mono">${d.owner}</td>
        </tr>
        <tr>
          <th>URIs</th>
          <td class="mono">${d.uris.map((u) => html`${u}<br />`)}</td>
        </tr>
        <tr>
          <th>fee per inference</th>
          <td>${opg(d.feePerInference)} per operator · default k ${d.defaultRedundancy}</td>
        </tr>
        <tr>
          <th>royalty</th>
          <td>${bps(d.royaltyBps)} · accrued, unclaimed: ${opg(d.royaltiesAccrued)}</td>
        </tr>
        <tr>
          <th>dispute window</th>
          <td>${d.disputeWindow} s</td>
        </tr>
        <tr>
          <th>output scale / tolerance</th>
          <td>${d.outputScale} decimals · ${d.tolerance} units</td>
        </tr>
        <tr>
          <th>on-chain referee</th>
          <td>
            ${BigInt(d.referee) === 0n ? "none (disputes go to a jury)" : html`<span class="mono">${d.referee}</span> ${d.refereeAdmitted?.toLowerCase() === d.referee.toLowerCase() ? html`<span class="badge ok">admitted by governance</span>` : html`<span class="badge warn">not admitted</span>`}`}
          </td>
        </tr>
        <tr>
          <th>model card hash</th>
          <td class="mono">${d.modelCardHash}</td>
        </tr>
        <tr>
          <th>I/O schema</th>
          <td><pre class="mono">${schema}</pre></td>
        </tr>
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
    <table id="power">
      <thead>
        <tr>
          <th>contract</th>
          <th>role</th>
          <th>holder(s)</th>
          <th>delay</th>
          <th>bounds</th>
        </tr>
      </thead>
      <tbody>
        ${roles.map(
          (r) =>
            html`<tr>
              <td>${r.contract}<br /><span class="mono muted">${short(r.address)}</span></td>
              <td><b>${r.role}</b></td>
              <td class="mono">
                ${r.holders.length === 0 ? html`<span class="muted">nobody</span>` : r.holders.map((h) => html`${h}<br />`)}
              </td>
              <td>${r.delay}</td>
              <td>${r.bounds}</td>
            </tr>`,
        )}
      </tbody>
    </table>`;
}

export function errorPage(status: number, message: string): Html {
  const title = status === 404 ? "Not found" : status === 400 ? "Bad request" : "Something went wrong";
  return html`<div class="error" id="error">
    <h1>${status} · ${title}</h1>
    <p>${message}</p>
    <p><a href="/">Back to the network</a></p>
  </div>`;
}
