/**
 * The report's charts as inline SVG, laid out from the lengths of their texts so that no label leaves its box, and each
 * with a legend that names every colour it draws. Pure: strings in, markup out. Numbers here are geometry only; every
 * figure a reader sees arrives already formatted as text.
 */

/** The charts' font size (px), also set by the page's style sheet for `svg text`. */
export const FONT_PX = 11;
/**
 * Width of one character in the report's sans-serif font, as a share of the font size: a generous average (digits are
 * about 0.55 em, lower-case letters less, a few capitals more), so that estimated boxes are not smaller than drawn text.
 */
export const CHAR_EM = 0.65;

/** The estimated width (px) of `text` drawn at `fontPx`. */
export function textWidth(text: string, fontPx = FONT_PX): number {
  return Math.ceil([...text].length * fontPx * CHAR_EM);
}

export const escapeXml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);

/** One kind of mark in a chart: its colour and the legend's name for it. */
export interface Series {
  name: string;
  color: string;
}

export interface BarRow {
  label: string;
  /** One bar per value; `value` (non-negative) sets the length, `text` is written after the bar. */
  values: { series: Series; value: number; text: string }[];
}

const MIN_WIDTH = 760;
const MIN_PLOT = 220;
const GAP = 8;
const SWATCH = 12;

const text = (x: number, y: number, content: string, anchor: "start" | "middle" | "end", cls: string) =>
  `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" text-anchor="${anchor}" class="${cls}">${escapeXml(content)}</text>`;

/**
 * The distinct series of a chart, in order of first use.
 *
 * @throws Error if one colour stands for two names: the legend could not tell them apart.
 */
function distinct(series: Series[]): Series[] {
  const byColor = new Map<string, Series>();
  for (const s of series) {
    const known = byColor.get(s.color);
    if (known !== undefined && known.name !== s.name) {
      throw new Error(`colour ${s.color} stands for both "${known.name}" and "${s.name}"`);
    }
    byColor.set(s.color, known ?? s);
  }
  return [...byColor.values()];
}

/** A legend of `series` from `top`, wrapped to `width`; returns its markup and its height. */
function legend(series: Series[], top: number, width: number): { markup: string; height: number } {
  const parts: string[] = [];
  let x = 0;
  let line = 0;
  for (const s of series) {
    const itemWidth = SWATCH + 6 + textWidth(s.name);
    if (x > 0 && x + itemWidth > width) {
      x = 0;
      line++;
    }
    const y = top + line * 20;
    parts.push(`<rect class="swatch" x="${x}" y="${y}" width="${SWATCH}" height="${SWATCH}" fill="${s.color}"/>`);
    parts.push(text(x + SWATCH + 6, y + SWATCH - 2, s.name, "start", "legend"));
    x += itemWidth + 2 * GAP;
  }
  return { markup: parts.join(""), height: series.length === 0 ? 0 : (line + 1) * 20 };
}

function figure(title: string, width: number, height: number, body: string): string {
  const t = escapeXml(title);
  return (
    `<figure><figcaption>${t}</figcaption>` +
    `<svg viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${t}">${body}</svg></figure>`
  );
}

/**
 * A horizontal bar chart, one or several bars per row. The label column is as wide as the longest label, the room
 * after the bars as wide as the longest value text, and the chart widens (the page scales it down) rather than let a
 * text overflow.
 */
export function barChart(title: string, rows: BarRow[]): string {
  const barHeight = 14;
  const labelWidth = Math.max(0, ...rows.map((r) => textWidth(r.label))) + 2 * GAP;
  const valueWidth = Math.max(0, ...rows.flatMap((r) => r.values.map((v) => textWidth(v.text)))) + GAP;
  const width = Math.max(MIN_WIDTH, labelWidth + MIN_PLOT + valueWidth);
  const plot = width - labelWidth - valueWidth;
  const max = Math.max(0, ...rows.flatMap((r) => r.values.map((v) => v.value)));
  const scale = max > 0 ? plot / max : 0;
  const parts: string[] = [];
  let y = 4;
  for (const row of rows) {
    parts.push(text(0, y + barHeight - 3, row.label, "start", "label"));
    for (const v of row.values) {
      const w = Math.max(1, v.value * scale);
      parts.push(
        `<rect class="bar" x="${labelWidth}" y="${y}" width="${w.toFixed(1)}" height="${barHeight}" fill="${v.series.color}"/>`,
      );
      parts.push(text(labelWidth + w + GAP / 2, y + barHeight - 3, v.text, "start", "value"));
      y += barHeight + 2;
    }
    y += 10;
  }
  const key = legend(distinct(rows.flatMap((r) => r.values.map((v) => v.series))), y + 4, width);
  return figure(title, width, y + 4 + key.height, parts.join("") + key.markup);
}

export interface HistogramMarker {
  /** What the marker is ("median"), written as the line's `data-marker` attribute. */
  key: string;
  series: Series;
  /** Where the marker stands, in the bins' unit (a bin is one unit wide, bin i covers [i, i + 1)). */
  at: number;
  /** Written next to the marker's line. */
  label: string;
  /** Machine-readable value, written as the line's `data-value` attribute. */
  value: string;
}

/**
 * A column chart of `counts` per bin (bin i covers [i, i + 1) of `unit`), with vertical marker lines (median,
 * maximum...) each labelled on its own line above the plot.
 */
export function histogram(
  title: string,
  counts: number[],
  bars: Series,
  markers: HistogramMarker[],
  /** The axis title: what a bin is a unit of. */
  unit: string,
): string {
  const maxCount = Math.max(1, ...counts);
  const axisWidth = textWidth(String(maxCount)) + GAP;
  const width = MIN_WIDTH;
  const plotWidth = width - axisWidth - GAP;
  const binWidth = plotWidth / Math.max(1, counts.length);
  const markerTop = 4;
  const plotTop = markerTop + markers.length * 16 + 6;
  const plotHeight = 140;
  const base = plotTop + plotHeight;
  const parts: string[] = [];
  parts.push(text(axisWidth - GAP / 2, plotTop + FONT_PX, String(maxCount), "end", "axis"));
  parts.push(text(axisWidth - GAP / 2, base, "0", "end", "axis"));
  parts.push(`<line x1="${axisWidth}" y1="${base}" x2="${width - GAP}" y2="${base}" stroke="#a0aec0"/>`);
  counts.forEach((c, i) => {
    const h = (c / maxCount) * plotHeight;
    const x = axisWidth + i * binWidth + 1;
    parts.push(
      `<rect class="bar" x="${x.toFixed(1)}" y="${(base - h).toFixed(1)}" width="${(binWidth - 2).toFixed(1)}" ` +
        `height="${h.toFixed(1)}" fill="${bars.color}" data-count="${c}"/>`,
    );
    if (c > 0) parts.push(text(x + binWidth / 2 - 1, base - h - 3, String(c), "middle", "value"));
  });
  // Bin boundaries on the axis, as many as fit side by side; the unit once, centred below them.
  const step = Math.max(1, Math.ceil((textWidth(String(counts.length)) + GAP) / binWidth));
  for (let i = 0; i <= counts.length; i += step) {
    const x = axisWidth + i * binWidth;
    const label = String(i);
    const anchor = x + textWidth(label) / 2 > width ? "end" : "middle";
    parts.push(text(x, base + FONT_PX + 4, label, anchor, "axis"));
  }
  parts.push(text(axisWidth + plotWidth / 2, base + 2 * FONT_PX + 10, unit, "middle", "axis"));
  markers.forEach((m, i) => {
    const x = axisWidth + m.at * binWidth;
    const y = markerTop + i * 16 + FONT_PX;
    parts.push(
      `<line class="marker" x1="${x.toFixed(1)}" y1="${y + 2}" x2="${x.toFixed(1)}" y2="${base}" stroke="${m.series.color}" ` +
        `stroke-width="2" stroke-dasharray="4 3" data-marker="${escapeXml(m.key)}" data-value="${escapeXml(m.value)}"/>`,
    );
    const fitsRight = x + 4 + textWidth(m.label) <= width;
    parts.push(text(fitsRight ? x + 4 : x - 4, y, m.label, fitsRight ? "start" : "end", "label"));
  });
  const key = legend(distinct([bars, ...markers.map((m) => m.series)]), base + 2 * FONT_PX + 20, width);
  return figure(title, width, base + 2 * FONT_PX + 20 + key.height, parts.join("") + key.markup);
}
