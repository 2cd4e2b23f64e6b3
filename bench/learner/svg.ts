// A dependency-free grouped horizontal bar chart for the learner benchmark report.
export interface BarGroup {
  readonly label: string;
  readonly bars: readonly { readonly name: string; readonly value: number; readonly unit: string }[];
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const COLORS = ['#3a7bd5', '#d5803a', '#5aa05a', '#9a5ad5'];

export function groupedBarsSvg(title: string, groups: readonly BarGroup[], goalLine?: { value: number; label: string }): string {
  const labelPx = 230;
  const plotPx = 420;
  const barPx = 18;
  const top = 40;
  const max = Math.max(1e-9, ...groups.flatMap((g) => g.bars.map((b) => b.value)), goalLine?.value ?? 0) * 1.2;
  const x = (v: number): number => labelPx + (v / max) * plotPx;
  const rows = groups.reduce((n, g) => n + g.bars.length, 0);
  const height = top + rows * (barPx + 4) + groups.length * 12 + 30;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelPx + plotPx + 130}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`,
  ];
  let y = top;
  for (const g of groups) {
    g.bars.forEach((b, i) => {
      out.push(`<text x="${labelPx - 8}" y="${y + barPx * 0.75}" text-anchor="end">${esc(i === 0 ? `${g.label}: ${b.name}` : b.name)}</text>`);
      out.push(`<rect x="${labelPx}" y="${y}" width="${Math.max(1, x(b.value) - labelPx).toFixed(1)}" height="${barPx}" fill="${COLORS[i % COLORS.length]}"/>`);
      out.push(`<text x="${(x(b.value) + 5).toFixed(1)}" y="${y + barPx * 0.75}">${b.value.toFixed(b.value < 10 ? 2 : 0)} ${esc(b.unit)}</text>`);
      y += barPx + 4;
    });
    y += 12;
  }
  if (goalLine) {
    out.push(`<line x1="${x(goalLine.value).toFixed(1)}" y1="${top - 6}" x2="${x(goalLine.value).toFixed(1)}" y2="${y}" stroke="#c00" stroke-dasharray="4 3"/>`);
    out.push(`<text x="${x(goalLine.value).toFixed(1)}" y="${y + 14}" text-anchor="middle" font-size="11" fill="#c00">${esc(goalLine.label)}</text>`);
  }
  out.push('</svg>');
  return out.join('\n');
}
