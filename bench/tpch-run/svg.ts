// A dependency-free SVG chart of grouped horizontal bars on a log scale (times that span 1 ms to minutes),
// one group per query, one bar per engine; bars marked `over` (a timeout) are hatched with a ">" label.

export interface LogBar { readonly name: string; readonly ms: number; readonly over?: boolean }
export interface LogGroup { readonly label: string; readonly bars: readonly LogBar[] }

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const COLORS = ['#3a7bd5', '#d5803a', '#5aa05a', '#9a5ad5'];

export function logBarsSvg(title: string, groups: readonly LogGroup[]): string {
  const labelPx = 260;
  const plotPx = 520;
  const barPx = 9;
  const top = 56;
  const all = groups.flatMap((g) => g.bars.map((b) => b.ms)).filter((v) => v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.max(1e-3, Math.min(...all))));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...all, lo * 10)));
  const x = (v: number): number => labelPx + (Math.log10(Math.max(v, lo) / lo) / Math.log10(hi / lo)) * plotPx;
  const names = [...new Set(groups.flatMap((g) => g.bars.map((b) => b.name)))];
  const height = top + groups.reduce((n, g) => n + g.bars.length * (barPx + 1) + 8, 0) + 30;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelPx + plotPx + 110}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<text x="10" y="20" font-size="15" font-weight="bold">${esc(title)}</text>`,
    ...names.map((n, i) => `<rect x="${10 + i * 150}" y="30" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/><text x="${26 + i * 150}" y="40">${esc(n)}</text>`),
  ];
  for (let d = lo; d <= hi; d *= 10) {
    out.push(`<line x1="${x(d).toFixed(1)}" y1="${top - 4}" x2="${x(d).toFixed(1)}" y2="${height - 24}" stroke="#ddd"/>`);
    out.push(`<text x="${x(d).toFixed(1)}" y="${height - 10}" text-anchor="middle">${d >= 1000 ? `${d / 1000} s` : `${d} ms`}</text>`);
  }
  let y = top;
  for (const g of groups) {
    out.push(`<text x="${labelPx - 8}" y="${y + ((barPx + 1) * g.bars.length) / 2 + 4}" text-anchor="end">${esc(g.label)}</text>`);
    for (const b of g.bars) {
      const i = names.indexOf(b.name);
      out.push(`<rect x="${labelPx}" y="${y}" width="${Math.max(1, x(b.ms) - labelPx).toFixed(1)}" height="${barPx}" fill="${COLORS[i % COLORS.length]}"${b.over ? ' fill-opacity="0.45"' : ''}/>`);
      if (b.over) out.push(`<text x="${(x(b.ms) + 3).toFixed(1)}" y="${y + barPx - 1}" font-size="9">&gt;</text>`);
      y += barPx + 1;
    }
    y += 8;
  }
  out.push('</svg>');
  return out.join('\n');
}
