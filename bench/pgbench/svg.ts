// A horizontal bar chart of ratios against a baseline (1x), as a standalone SVG string.

export interface Bar {
  label: string;
  ratio: number;
}

export function barChartSvg(title: string, bars: readonly Bar[], baselineLabel: string): string {
  const left = 130;
  const widthMax = 420;
  const rowHeight = 36;
  const top = 40;
  const finite = bars.map((b) => (Number.isFinite(b.ratio) ? b.ratio : 0));
  const scaleMax = Math.max(1, ...finite) * 1.1;
  const x = (ratio: number): number => left + (ratio / scaleMax) * widthMax;
  const height = top + bars.length * rowHeight + 30;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${left + widthMax + 80}" height="${height}" font-family="sans-serif" font-size="13">`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  bars.forEach((b, i) => {
    const y = top + i * rowHeight;
    const ratio = finite[i]!;
    const color = ratio >= 1 ? '#3a7bd5' : '#d5803a';
    parts.push(`<text x="${left - 8}" y="${y + 18}" text-anchor="end">${escapeXml(b.label)}</text>`);
    parts.push(`<rect x="${left}" y="${y}" width="${(x(ratio) - left).toFixed(1)}" height="26" fill="${color}"/>`);
    parts.push(`<text x="${(x(ratio) + 6).toFixed(1)}" y="${y + 18}">${Number.isFinite(b.ratio) ? b.ratio.toFixed(3) + 'x' : 'n/a'}</text>`);
  });
  const base = x(1).toFixed(1);
  parts.push(`<line x1="${base}" y1="${top - 6}" x2="${base}" y2="${height - 18}" stroke="#333" stroke-dasharray="4 3"/>`);
  parts.push(`<text x="${base}" y="${height - 4}" text-anchor="middle" font-size="11">${escapeXml(baselineLabel)}</text>`);
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}
