/**
 * A tiny dependency-free SVG chart writer for the benchmark report: line charts (linear or log10 x-axis)
 * with axes, ticks, labels and a legend, and a histogram for latency samples.
 */
import { CodedError } from "../lib/errors.js";

export interface Series {
  readonly name: string;
  /** [x, y] points; sorted by x when drawn. */
  readonly points: readonly (readonly [number, number])[];
}

export interface LineChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  /** log10 x-axis (every x must be > 0). */
  readonly logX?: boolean;
  /** Start the y-axis at zero (default true). */
  readonly yFromZero?: boolean;
  readonly width?: number;
  readonly height?: number;
}

export interface HistogramOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly samples: readonly number[];
  readonly bins?: number;
  /** Vertical markers, e.g. percentiles. */
  readonly markers?: readonly { readonly label: string; readonly x: number }[];
  readonly width?: number;
  readonly height?: number;
}

export class PlotError extends CodedError<"EMPTY" | "NON_FINITE" | "NON_POSITIVE_LOG"> {}

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
const MARGIN = { left: 78, right: 170, top: 40, bottom: 56 };

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Compact tick label: 1,000 → 1k, 2,500,000 → 2.5M. */
export function formatTick(v: number): string {
  const a = Math.abs(v);
  const trim = (x: number): string => String(Number(x.toPrecision(3)));
  if (a >= 1e6) return `${trim(v / 1e6)}M`;
  if (a >= 1e3) return `${trim(v / 1e3)}k`;
  return trim(v);
}

/** Horizontal grid lines and labels at `yTicks` (plot width `pw`, `py` mapping a value to its y pixel). */
function yGrid(yTicks: readonly number[], py: (y: number) => number, pw: number): string[] {
  return yTicks.flatMap((t) => {
    const y = py(t).toFixed(1);
    return [
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + pw}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`,
      `<text x="${MARGIN.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${formatTick(t)}</text>`,
    ];
  });
}

/** About `count` "nice" ticks (1, 2, 5 × 10^n steps) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (hi <= lo) hi = lo + 1;
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const out: number[] = [];
  for (let t = Math.floor(lo / step) * step; t <= hi + step * 1e-9; t += step)
    out.push(Number(t.toPrecision(12)));
  return out;
}

function check(values: readonly number[], what: string): void {
  if (values.length === 0) throw new PlotError("EMPTY", `${what}: no data`);
  if (values.some((v) => !Number.isFinite(v))) throw new PlotError("NON_FINITE", `${what}: non-finite value`);
}

function frame(width: number, height: number, title: string): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${(MARGIN.left + width - MARGIN.right) / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`,
  ];
}

/** An SVG line chart: one polyline with point markers per series, axes with ticks, labels and a legend. */
export function lineChart(o: LineChartOptions): string {
  const width = o.width ?? 760;
  const height = o.height ?? 420;
  const xs = o.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = o.series.flatMap((s) => s.points.map((p) => p[1]));
  check(xs, o.title);
  check(ys, o.title);
  if (o.logX && xs.some((x) => x <= 0))
    throw new PlotError("NON_POSITIVE_LOG", `${o.title}: x ≤ 0 on a log axis`);

  const fx = (x: number): number => (o.logX ? Math.log10(x) : x);
  let x0 = Math.min(...xs.map(fx));
  let x1 = Math.max(...xs.map(fx));
  if (o.logX) {
    x0 = Math.floor(x0);
    x1 = Math.ceil(x1);
  }
  if (x1 === x0) x1 = x0 + 1;
  const yTicks = niceTicks(
    (o.yFromZero ?? true) ? Math.min(0, ...ys) : Math.min(...ys),
    Math.max(...ys) * 1.05,
  );
  const y0 = yTicks[0]!;
  const y1 = yTicks[yTicks.length - 1]!;
  const pw = width - MARGIN.left - MARGIN.right;
  const ph = height - MARGIN.top - MARGIN.bottom;
  const px = (x: number): number => MARGIN.left + ((fx(x) - x0) / (x1 - x0)) * pw;
  const py = (y: number): number => MARGIN.top + ph - ((y - y0) / (y1 - y0 || 1)) * ph;

  const out = frame(width, height, o.title);
  // grid + y ticks
  out.push(...yGrid(yTicks, py, pw));
  // x ticks
  const xTicks = o.logX
    ? Array.from({ length: x1 - x0 + 1 }, (_, i) => 10 ** (x0 + i))
    : niceTicks(x0, x1, 6).filter((t) => t >= x0 && t <= x1);
  for (const t of xTicks) {
    const x = px(t).toFixed(1);
    out.push(
      `<line x1="${x}" x2="${x}" y1="${MARGIN.top}" y2="${MARGIN.top + ph}" stroke="#f0f0f0"/>`,
      `<line x1="${x}" x2="${x}" y1="${MARGIN.top + ph}" y2="${MARGIN.top + ph + 5}" stroke="black"/>`,
      `<text x="${x}" y="${MARGIN.top + ph + 18}" text-anchor="middle">${formatTick(t)}</text>`,
    );
  }
  // axes
  out.push(
    `<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${MARGIN.top + ph}" stroke="black"/>`,
    `<line x1="${MARGIN.left}" x2="${MARGIN.left + pw}" y1="${MARGIN.top + ph}" y2="${MARGIN.top + ph}" stroke="black"/>`,
    `<text x="${MARGIN.left + pw / 2}" y="${height - 14}" text-anchor="middle">${esc(o.xLabel)}${o.logX ? " (log scale)" : ""}</text>`,
    `<text transform="translate(18 ${MARGIN.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`,
  );
  // series + legend
  o.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const pts = [...s.points].sort((a, b) => a[0] - b[0]);
    const path = pts.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(" ");
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${path}"/>`);
    for (const [x, y] of pts) {
      out.push(
        `<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3.5" fill="${color}"><title>${esc(s.name)}: ${x} → ${y.toLocaleString("en-US")}</title></circle>`,
      );
    }
    const ly = MARGIN.top + 10 + i * 20;
    const lx = MARGIN.left + pw + 16;
    out.push(
      `<line x1="${lx}" x2="${lx + 22}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"/>`,
      `<circle cx="${lx + 11}" cy="${ly}" r="3.5" fill="${color}"/>`,
      `<text x="${lx + 28}" y="${ly}" dominant-baseline="middle">${esc(s.name)}</text>`,
    );
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}

/** An SVG histogram of `samples` with optional vertical markers (e.g. p50, p95). */
export function histogram(o: HistogramOptions): string {
  const width = o.width ?? 760;
  const height = o.height ?? 380;
  check(o.samples, o.title);
  const bins = o.bins ?? 30;
  const lo = Math.min(...o.samples);
  const hi = Math.max(...o.samples);
  const span = hi - lo || 1;
  const counts = new Array<number>(bins).fill(0);
  for (const v of o.samples) counts[Math.min(bins - 1, Math.floor(((v - lo) / span) * bins))]!++;
  const yTicks = niceTicks(0, Math.max(...counts) * 1.05);
  const yMax = yTicks[yTicks.length - 1]!;
  const pw = width - MARGIN.left - MARGIN.right;
  const ph = height - MARGIN.top - MARGIN.bottom;
  const px = (x: number): number => MARGIN.left + ((x - lo) / span) * pw;
  const py = (y: number): number => MARGIN.top + ph - (y / yMax) * ph;
  const out = frame(width, height, o.title);
  out.push(...yGrid(yTicks, py, pw));
  const bw = pw / bins;
  counts.forEach((c, i) => {
    const x = MARGIN.left + i * bw;
    out.push(
      `<rect x="${x.toFixed(1)}" y="${py(c).toFixed(1)}" width="${(bw - 1).toFixed(1)}" height="${(MARGIN.top + ph - py(c)).toFixed(1)}" fill="${COLORS[0]}"/>`,
    );
  });
  for (const t of niceTicks(lo, hi, 6).filter((t) => t >= lo && t <= hi)) {
    const x = px(t).toFixed(1);
    out.push(
      `<line x1="${x}" x2="${x}" y1="${MARGIN.top + ph}" y2="${MARGIN.top + ph + 5}" stroke="black"/>`,
      `<text x="${x}" y="${MARGIN.top + ph + 18}" text-anchor="middle">${formatTick(t)}</text>`,
    );
  }
  (o.markers ?? []).forEach((m, i) => {
    const x = px(m.x).toFixed(1);
    const color = COLORS[(i + 1) % COLORS.length]!;
    out.push(
      `<line x1="${x}" x2="${x}" y1="${MARGIN.top}" y2="${MARGIN.top + ph}" stroke="${color}" stroke-dasharray="4 3" stroke-width="1.5"/>`,
      `<text x="${MARGIN.left + pw + 16}" y="${MARGIN.top + 10 + i * 20}" fill="${color}" dominant-baseline="middle">${esc(m.label)}: ${formatTick(m.x)}</text>`,
    );
  });
  out.push(
    `<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${MARGIN.top + ph}" stroke="black"/>`,
    `<line x1="${MARGIN.left}" x2="${MARGIN.left + pw}" y1="${MARGIN.top + ph}" y2="${MARGIN.top + ph}" stroke="black"/>`,
    `<text x="${MARGIN.left + pw / 2}" y="${height - 14}" text-anchor="middle">${esc(o.xLabel)}</text>`,
    `<text transform="translate(18 ${MARGIN.top + ph / 2}) rotate(-90)" text-anchor="middle">samples</text>`,
    "</svg>",
  );
  return out.join("\n") + "\n";
}

/** The q-quantile (0..1) of `samples`, nearest-rank. */
export function quantile(samples: readonly number[], q: number): number {
  check(samples, "quantile");
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}
