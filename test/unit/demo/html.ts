/** Readers of the demo's HTML page for its tests: tables, charts and legends, as text. */

export const unescape = (s: string): string =>
  s.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'" })[e]!);

export const all = (html: string, re: RegExp): RegExpExecArray[] => [...html.matchAll(re)];

/** Every chart (`<figure>`) of the page. */
export const figures = (html: string): string[] => all(html, /<figure>.*?<\/figure>/gs).map((m) => m[0]);

/** An amount as the page writes it: thousands separators and the token's six decimals. */
export const AMOUNT = /^-?\d{1,3}(,\d{3})*\.\d{6}$/;

/** The texts of the page's right-aligned cells (amounts and counts). */
export const numberCells = (html: string): string[] =>
  all(html, /<td class="num">([^<]*)<\/td>/g).map((m) => unescape(m[1]));

/** The rows of class `cls` ("line", "total") of the statement per cycle, as their cells' texts, with their cycle. */
export const statementRows = (html: string, cls: string): { cycle: number; cells: string[] }[] =>
  all(html, new RegExp(`<tr class="${cls}" data-cycle="(\\d+)"[^>]*>(.*?)</tr>`, "g")).map((m) => ({
    cycle: Number(m[1]),
    cells: all(m[2], /<td[^>]*>(.*?)<\/td>/g).map((c) => unescape(c[1])),
  }));

/** A chart's colours: those drawn (bars, marker lines) and those its legend names, with the legend's names. */
export function chartColours(chart: string): { drawn: Set<string>; swatches: string[]; names: string[] } {
  return {
    drawn: new Set([
      ...all(chart, /<rect class="bar"[^>]*fill="([^"]+)"/g).map((m) => m[1]),
      ...all(chart, /<line class="marker"[^>]*stroke="([^"]+)"/g).map((m) => m[1]),
    ]),
    swatches: all(chart, /<rect class="swatch"[^>]*fill="([^"]+)"/g).map((m) => m[1]),
    names: all(chart, /<text[^>]*class="legend">([^<]+)<\/text>/g).map((m) => unescape(m[1])),
  };
}

/** The value a histogram marks with `key` ("median", "maximum"), in the bins' data unit (seconds). */
export function markerValue(chart: string, key: string): number {
  const m = new RegExp(`data-marker="${key}" data-value="([\\d.]+)"`).exec(chart);
  if (m === null) throw new Error(`no ${key} marker`);
  return Number(m[1]);
}
