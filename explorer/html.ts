/** HTML helpers: escaping, formatting of amounts, addresses, hashes and times, and the page frame. */
import { formatEther } from "ethers";

export function esc(s: unknown): string {
  return String(s).replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

/** An HTML fragment (already escaped). */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** Tagged template: interpolated values are escaped unless they are Html (or arrays of Html). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? "";
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? "");
  });
  return new Html(out);
}

function render(v: unknown): string {
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return v.map(render).join("");
  if (v === undefined || v === null || v === false) return "";
  return esc(v);
}

export const raw = (s: string): Html => new Html(s);

export function opg(wei: bigint | string): string {
  const v = typeof wei === "string" ? BigInt(wei) : wei;
  const n = Number(formatEther(v));
  return `${n.toLocaleString("en-US", { maximumFractionDigits: n !== 0 && Math.abs(n) < 0.01 ? 6 : 4 })} OPG`;
}

export const short = (hex: string, n = 6): string =>
  hex.length > 2 * n + 4 ? `${hex.slice(0, n + 2)}…${hex.slice(-n + 2)}` : hex;

export function when(unix: number): string {
  return unix > 0 ? new Date(unix * 1000).toISOString().replace("T", " ").replace(".000Z", " UTC") : "—";
}

export const addr = (a: string): Html =>
  html`<a class="mono" href="/operator/${a}" title="${a}">${short(a)}</a>`;
export const account = (a: string): Html => html`<span class="mono" title="${a}">${short(a)}</span>`;
export const reqLink = (id: string): Html => html`<a href="/request/${id}">#${id}</a>`;
export const modelLink = (h: string): Html =>
  html`<a class="mono" href="/model/${h}" title="${h}">${short(h)}</a>`;

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2733;background:#f6f7f9}
header{background:#14213d;color:#fff;padding:10px 20px;display:flex;gap:18px;align-items:center;flex-wrap:wrap}
header a{color:#e8eefc;text-decoration:none;font-weight:500} header a.brand{font-weight:700;font-size:16px;color:#fff}
header form{margin-left:auto} header input{width:340px;padding:5px 8px;border-radius:4px;border:0}
main{max-width:1100px;margin:0 auto;padding:16px 20px 40px}
h1{font-size:22px;margin:8px 0 12px} h2{font-size:17px;margin:22px 0 8px}
table{border-collapse:collapse;width:100%;background:#fff;margin:6px 0 12px} th,td{border-bottom:1px solid #e3e6ea;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#eef1f5;font-weight:600} td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12.5px;word-break:break-all}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:8px 0} .card{background:#fff;border:1px solid #e3e6ea;border-radius:6px;padding:8px 14px;min-width:140px}
.card b{display:block;font-size:18px} .card span{color:#5b6673;font-size:12px}
.ok{color:#17803d;font-weight:600} .bad{color:#c8413b;font-weight:600} .muted{color:#6b7785}
.badge{display:inline-block;padding:1px 7px;border-radius:9px;font-size:12px;font-weight:600;background:#e7ecf3}
.badge.bad{background:#fbe3e1;color:#a4302b} .badge.ok{background:#def3e5;color:#17663a} .badge.warn{background:#fff1d6;color:#8a5a00}
figure.chart{background:#fff;border:1px solid #e3e6ea;border-radius:6px;margin:8px 0;padding:8px} figcaption{font-weight:600;margin-bottom:4px}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:12px} @media(max-width:800px){.grid2{grid-template-columns:1fr}}
.error{background:#fff;border:1px solid #e3c2c0;border-radius:6px;padding:16px}
footer{color:#6b7785;font-size:12px;text-align:center;padding:10px}`;

export function page(
  title: string,
  body: Html,
  meta: { chainId: string; indexed: number | undefined },
): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width,initial-scale=1" />
        <title>${title} · Verdict explorer</title>
        <style>
          ${raw(CSS)}
        </style>
      </head>
      <body>
        <header>
          <a class="brand" href="/">Verdict explorer</a><a href="/">Network</a><a href="/disputes">Disputes</a
          ><a href="/power">Power</a>
          <form action="/search" method="get" role="search">
            <input
              name="q"
              aria-label="Search"
              placeholder="request id, operator address, model hash or tx hash"
            />
          </form>
        </header>
        <main>${body}</main>
        <footer>
          chain ${meta.chainId} · indexed to block ${meta.indexed ?? "—"} · JSON: <a href="/api">/api</a>
        </footer>
      </body>
    </html>`.text;
}
