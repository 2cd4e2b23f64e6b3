// A dependency-free horizontal bar chart (SVG) for benchmark reports: one bar per measurement, with a 1x line.
export interface Bar {
  label: string;
  value: number;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function barChartSvg(title: string, bars: Bar[]): string {
  const labelWidthPx = 210;
  const plotWidthPx = 420;
  const barHeightPx = 26;
  const top = 40;
  const max = Math.max(1, ...bars.map((b) => b.value)) * 1.15;
  const x = (v: number): number => labelWidthPx + (v / max) * plotWidthPx;
  const height = top + bars.length * (barHeightPx + 10) + 20;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelWidthPx + plotWidthPx + 80}" height="${height}" font-family="sans-serif" font-size="13">`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`,
  ];
  bars.forEach((b, i) => {
    const y = top + i * (barHeightPx + 10);
    parts.push(`<text x="${labelWidthPx - 8}" y="${y + barHeightPx * 0.68}" text-anchor="end">${esc(b.label)}</text>`);
    parts.push(`<rect x="${labelWidthPx}" y="${y}" width="${Math.max(1, x(b.value) - labelWidthPx).toFixed(1)}" height="${barHeightPx}" fill="${b.value >= 1 ? '#3a7bd5' : '#d5803a'}"/>`);
    parts.push(`<text x="${(x(b.value) + 6).toFixed(1)}" y="${y + barHeightPx * 0.68}">${b.value.toFixed(2)}x</text>`);
  });
  parts.push(`<line x1="${x(1).toFixed(1)}" y1="${top - 6}" x2="${x(1).toFixed(1)}" y2="${height - 14}" stroke="#333" stroke-dasharray="4 3"/>`);
  parts.push(`<text x="${x(1).toFixed(1)}" y="${height - 2}" text-anchor="middle" font-size="11">SQLite = 1x</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}
