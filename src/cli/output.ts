import type { RefreshSummary } from '../core/summary.js';

/** A plain aligned table; the first row is the header. */
export function formatTable(rows: string[][]): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The human form of a summary. It holds only names, statuses and hosts. */
export function formatSummary(summary: RefreshSummary): string {
  const sections: string[] = [];
  sections.push(
    formatTable([
      ['REGISTRY', 'REGION', 'HOST', 'STATUS', 'EXPIRES', 'ERROR'],
      ...summary.registries.map((r) => [r.name, r.region, r.host ?? '-', r.status, r.expiresAt ?? '-', r.error ?? '']),
    ]),
  );
  if (summary.secrets.length > 0) {
    sections.push(formatTable([['SECRET', 'STATUS', 'ERROR'], ...summary.secrets.map((s) => [s.name, s.status, s.error ?? ''])]));
  }
  sections.push(
    formatTable([
      ['TARGET', 'VARIABLE', 'SCOPE', 'STATUS', 'HOSTS', 'ERROR'],
      ...summary.targets.map((t) => [t.target, t.variable, t.environmentScope ?? '-', t.status, describeHosts(t.hosts), t.error ?? '']),
    ]),
  );
  const verdict = summary.ok ? 'OK' : 'FAILED';
  sections.push(`${verdict}${summary.dryRun ? ' (dry run: nothing was written)' : ''} in ${summary.durationMs} ms`);
  return `${sections.join('\n\n')}\n`;
}

function describeHosts(hosts: RefreshSummary['targets'][number]['hosts']): string {
  if (!hosts) return '-';
  return `replaced ${hosts.replaced.length}, added ${hosts.added.length}, kept ${hosts.kept.length}`;
}
