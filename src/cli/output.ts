import type { TargetWarning } from '../core/formats/docker-auth.js';
import type { Check } from '../core/inspect/checks.js';
import { AUTH_VARIABLE, type ExplainReport } from '../core/inspect/explain/explain.js';
import type { StatusReport } from '../core/inspect/status.js';
import type { RefreshSummary } from '../core/refresh/summary.js';

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
  if (summary.targets.length > 0 || summary.profiles.length === 0) {
    sections.push(
      formatTable([
        ['TARGET', 'VARIABLE', 'SCOPE', 'STATUS', 'HOSTS', 'NOTES', 'ERROR'],
        ...summary.targets.map((t) => [t.target, t.variable, t.environmentScope ?? '-', t.status, describeHosts(t.hosts), describeNotes(t), t.error ?? '']),
      ]),
    );
  }
  if (summary.profiles.length > 0) sections.push(formatProfiles(summary.profiles));
  const warnings = warningLines(summary.targets);
  if (warnings) sections.push(warnings);
  const verdict = summary.ok ? 'OK' : 'FAILED';
  sections.push(`${verdict}${summary.dryRun ? ' (dry run: nothing was written)' : ''} in ${summary.durationMs} ms`);
  return `${sections.join('\n\n')}\n`;
}

function formatProfiles(profiles: RefreshSummary['profiles']): string {
  return formatTable([
    ['PROFILE', 'SECRET', 'STATUS', 'HOSTS', 'NOTES', 'ERROR'],
    ...profiles.map((p) => [
      p.profile,
      p.secret,
      p.status,
      describeHosts(p.hosts),
      [...(p.removed?.length ? [`removed ${p.removed.join(', ')}`] : []), ...(p.note ? [p.note] : [])].join('; '),
      p.error ?? '',
    ]),
  ]);
}

function describeHosts(hosts: RefreshSummary['targets'][number]['hosts']): string {
  if (!hosts) return '-';
  return `replaced ${hosts.replaced.length}, added ${hosts.added.length}, kept ${hosts.kept.length}`;
}

/** One `warning:` line per warning of every target, with its fix; empty when there is none. */
function warningLines(targets: Array<{ target: string; variable: string; environmentScope?: string; warnings?: TargetWarning[] }>): string {
  return targets.flatMap((t) => (t.warnings ?? []).map((w) => `warning: ${t.target} ${t.variable}${t.environmentScope ? `@${t.environmentScope}` : ''}: ${w.message}`)).join('\n');
}

function describeNotes(target: RefreshSummary['targets'][number]): string {
  const notes = [
    ...(target.via ? [`via ${target.via}`] : []),
    ...(target.note ? [target.note] : []),
    ...(target.changes ?? []),
    ...(target.warnings ?? []).map((warning) => `WARNING ${warning.code}`),
  ];
  return notes.join('; ');
}

const MARK = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' } as const;

/** Doctor results, one line each, with the fix under anything that is not ok. */
export function formatChecks(checks: Check[]): string {
  const lines = checks.map((check) => {
    const head = `${MARK[check.status]}  ${check.check}${check.subject ? ` ${check.subject}` : ''}: ${check.detail}`;
    return check.fix && check.status !== 'ok' ? `${head}\n      fix: ${check.fix}` : head;
  });
  const count = (status: Check['status']) => checks.filter((check) => check.status === status).length;
  return `${lines.join('\n')}\n\n${count('ok')} ok, ${count('warn')} warnings, ${count('fail')} failures\n`;
}

function describeExpiry(seconds: number | undefined): string {
  if (seconds === undefined) return '-';
  if (seconds <= 0) return 'EXPIRED';
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  return `in ${hours}h${String(minutes).padStart(2, '0')}m`;
}

export function formatStatus(report: StatusReport): string {
  const rows = [['TARGET', 'VARIABLE', 'SCOPE', 'STATE', 'REFRESHED', 'EARLIEST EXPIRY', 'HOSTS', 'DETAIL']];
  for (const t of report.targets) {
    const first = t.hosts[0];
    const flag = t.state === 'expiring' || t.state === 'expired' || t.state === 'overridden' ? ' <<<' : '';
    rows.push([
      t.target,
      t.variable,
      t.environmentScope ?? '-',
      `${t.state}${flag}`,
      t.refreshedAt ?? '-',
      first ? `${describeExpiry(first.expiresInSeconds)} (${first.host})` : '-',
      String(t.hosts.length),
      t.detail ?? '',
    ]);
  }
  const sections = report.targets.length > 0 || report.profiles.length === 0 ? [formatTable(rows)] : [];
  if (report.profiles.length > 0) {
    sections.push(
      formatTable([
        ['PROFILE', 'SECRET', 'STATE', 'REFRESHED', 'EARLIEST EXPIRY', 'HOSTS', 'DETAIL'],
        ...report.profiles.map((p) => {
          const first = p.hosts[0];
          const flag = p.state === 'expiring' || p.state === 'expired' ? ' <<<' : '';
          return [
            p.profile,
            p.secret,
            `${p.state}${flag}`,
            p.refreshedAt ?? '-',
            first ? `${describeExpiry(first.expiresInSeconds)} (${first.host})` : '-',
            String(p.hosts.length),
            p.detail ?? '',
          ];
        }),
      ]),
    );
  }
  if (report.secrets.length > 0) {
    sections.push(
      formatTable([
        ['SECRET', 'STATE', 'HOST', 'EXPIRES', 'DETAIL'],
        ...report.secrets.map((s) => [s.name, s.state, s.host ?? '-', describeExpiry(s.expiresInSeconds), s.detail ?? '']),
      ]),
    );
  }
  const warnings = warningLines(report.targets);
  if (warnings) sections.push(warnings);
  sections.push(
    report.ok
      ? 'All fresh.'
      : 'Attention: entries marked <<< expire within 2 hours, already have, or will not be used by the Runner (overridden); other states are explained in DETAIL.',
  );
  return `${sections.join('\n\n')}\n`;
}

// ---- explain ---------------------------------------------------------------------------------

const OUTCOME_WORDS: Record<ExplainReport['candidates'][number]['outcome'], string> = {
  wins: 'WINS',
  loses: 'loses',
  'not-sent': 'not sent',
  'undefined-order': 'TIED',
  'overridden-by-job-secret': 'overridden',
};

/** The human form of an explain report: the candidates, what the Runner reads, validity, the probe, and the verdict. It holds no credential. */
export function formatExplain(report: ExplainReport): string {
  const { job, image } = report;
  const sections: string[] = [];
  const environment = job.environment ? `environment ${job.environment}` : 'no environment';
  const protection = job.refProtected === undefined ? job.protection : `${job.refProtected ? 'protected' : 'not protected'}: ${job.protection}`;
  sections.push(
    [
      `Job:   project ${report.project.path} (${report.project.namespace}), ${environment}, ref ${job.ref} (${protection})`,
      `Image: ${image.reference} → registry ${image.registry}, repository ${image.repository}, ${image.tagOrDigest}; the Runner looks up ${image.runnerLookupPath}`,
    ].join('\n'),
  );
  const unreadable = report.levels.filter((level) => !level.readable).map((level) => `  cannot read ${level.level}: ${level.detail}`);
  const rows = report.candidates.map((c) => [c.level, c.scope, c.protected ? 'yes' : 'no', describeSettings(c), OUTCOME_WORDS[c.outcome], c.why]);
  sections.push(
    [
      `Which ${AUTH_VARIABLE} the job gets (instance, groups root first, project; the last one sent wins)`,
      rows.length > 0 ? formatTable([['LEVEL', 'SCOPE', 'PROTECTED', 'SETTINGS', 'OUTCOME', 'WHY'], ...rows]) : `  no level defines ${AUTH_VARIABLE}`,
      ...unreadable,
      `→ the job receives: ${report.received}`,
    ].join('\n'),
  );
  if (report.runner) sections.push(describeRunner(report.runner, image.registry));
  if (report.validity) sections.push(`Validity: ${report.validity.detail}`);
  if (report.probe) sections.push(describeProbe(report.probe));
  if (report.notes.length > 0) sections.push(['Notes:', ...report.notes.map((note) => `  - ${note}`)].join('\n'));
  const { verdict } = report;
  sections.push(
    [`VERDICT (exit ${verdict.exitCode}): ${verdict.summary}`, `  rule: ${verdict.rule}`, ...(verdict.fix && verdict.exitCode !== 0 ? [`  fix:  ${verdict.fix}`] : [])].join('\n'),
  );
  return `${sections.join('\n\n')}\n`;
}

function describeSettings(c: ExplainReport['candidates'][number]): string {
  const settings = [c.variableType === 'file' ? 'file' : undefined, c.masked ? 'masked' : undefined, c.hidden ? 'hidden' : undefined, c.raw ? 'raw' : 'expanded'];
  return settings.filter((setting) => setting !== undefined).join(', ');
}

function describeRunner(runner: NonNullable<ExplainReport['runner']>, registry: string): string {
  const lines = [`What the Runner reads for ${registry}`, `  value: ${runner.reading}`];
  if (runner.outcome !== 'read') return [...lines, `  ${runner.outcome === 'no-source' ? 'no credentials' : runner.outcome}: ${runner.detail}`].join('\n');
  const entries = runner.entries.map((entry) => (entry.source === 'auths' ? `${entry.key}` : `${entry.key} (credHelpers → docker-credential-${entry.helper})`));
  lines.push(`  entries (sorted; the first key per path counts): ${entries.join(', ') || 'none'}`);
  if (runner.ignoredKeys.length > 0) lines.push(`  ignored (same path as an earlier key): ${runner.ignoredKeys.join(', ')}`);
  if (runner.credsStore) lines.push(`  credsStore: docker-credential-${runner.credsStore}, asked for every registry`);
  const match = runner.match ? `${runner.match.key}${runner.match.source === 'credHelpers' ? ` (credHelpers → docker-credential-${runner.match.helper})` : ' (auths)'}` : 'nothing';
  lines.push(`  looked up ${runner.tried.join(', then ')} → ${match}`);
  return lines.join('\n');
}

function describeProbe(probe: NonNullable<ExplainReport['probe']>): string {
  if (!probe.ran) return `Probe: not run: ${probe.reason}`;
  const steps = probe.steps.map((step) => `  ${step.request} → ${step.status ?? 'no answer'}${step.detail ? ` (${step.detail})` : ''}`);
  return ['Probe (the credentials the Runner would send):', ...steps, `  ${probe.outcome}: ${probe.meaning}`].join('\n');
}
