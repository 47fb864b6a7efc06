/** Inline SVG charts, rendered on the server (no script, no build step). */
import { esc } from "./html.js";

export interface Bar {
  label: string;
  value: number;
  /** Shown on hover and under the bar. */
  title?: string;
  href?: string;
  tone?: "normal" | "bad" | "muted";
}

const COLORS = { normal: "#3b6fd8", bad: "#c8413b", muted: "#9aa5b1" } as const;

/** A vertical bar chart; `unit` is appended to the values shown. */
export function barChart(
  bars: readonly Bar[],
  opts: { title: string; unit?: string; width?: number; height?: number },
): string {
  const width = opts.width ?? 640;
  const height = opts.height ?? 200;
  const pad = { top: 24, bottom: 36, left: 8, right: 8 };
  const max = Math.max(1e-12, ...bars.map((b) => b.value));
  const slot = bars.length === 0 ? 0 : (width - pad.left - pad.right) / bars.length;
  const bw = Math.min(80, Math.max(2, slot * 0.7));
  const inner = height - pad.top - pad.bottom;
  const parts = bars.map((b, i) => {
    const h = (b.value / max) * inner;
    const x = pad.left + i * slot + (slot - bw) / 2;
    const y = pad.top + inner - h;
    const color = COLORS[b.tone ?? "normal"];
    const rect = `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${bw.toFixed(1)}" height="${Math.max(0, h).toFixed(1)}" fill="${color}"><title>${esc(b.title ?? `${b.label}: ${b.value}${opts.unit ?? ""}`)}</title></rect>`;
    const label =
      bars.length <= 24
        ? `<text x="${(x + bw / 2).toFixed(1)}" y="${height - pad.bottom + 14}" text-anchor="middle" font-size="10">${esc(b.label)}</text>`
        : "";
    const value =
      bars.length <= 24
        ? `<text x="${(x + bw / 2).toFixed(1)}" y="${(y - 4).toFixed(1)}" text-anchor="middle" font-size="10">${esc(fmt(b.value))}${esc(opts.unit ?? "")}</text>`
        : "";
    const body = rect + label + value;
    return b.href ? `<a href="${esc(b.href)}">${body}</a>` : body;
  });
  return (
    `<figure class="chart"><figcaption>${esc(opts.title)}</figcaption>` +
    `<svg role="img" aria-label="${esc(opts.title)}" viewBox="0 0 ${width} ${height}" width="100%" preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">` +
    `<line x1="${pad.left}" y1="${pad.top + inner}" x2="${width - pad.right}" y2="${pad.top + inner}" stroke="#ccc"/>` +
    parts.join("") +
    (bars.length === 0
      ? `<text x="${width / 2}" y="${height / 2}" text-anchor="middle" fill="#888">no data yet</text>`
      : "") +
    `</svg></figure>`
  );
}

function fmt(v: number): string {
  if (Number.isInteger(v)) return v.toLocaleString("en-US");
  return v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toPrecision(2);
}
