import { PUBLIC_HOST } from '../../../domain/hosts.js';
import { recordedExpiry } from '../../formats/variable-formats.js';
import type { ProbeAnswer, ProbeCredentials, RegistryProbe } from '../../ports.js';
import type { ImageReference } from './image-ref.js';
import type { ExplainReport, ProbeReport, Verdict } from './report.js';
import type { EntryCredentials, ReadValue, RunnerEntry, RunnerReading } from './runner-reading.js';

const ECR_HOST = /^\d{12}\.dkr\.ecr(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/;

/** The Runner-side rules, in the order the Runner applies them; undefined when none decides. */
export function runnerVerdict(reading: RunnerReading, image: ImageReference): Verdict | undefined {
  if (reading.kind === 'no-source') {
    return {
      exitCode: 1,
      summary: `would NOT authenticate: the Runner finds no credentials in the value (${reading.reason})`,
      rule: reading.reason,
      fix: "write the registry's entry into the value",
    };
  }
  if (reading.kind === 'dropped') {
    return {
      exitCode: 1,
      summary: `would NOT authenticate: the Runner cannot read the value and drops it whole (${reading.reason})`,
      rule: `a value the Runner cannot decode is dropped entirely: ${reading.reason} (Runner 18.11+ logs "Failed to resolve credentials from $DOCKER_AUTH_CONFIG", older Runners say nothing)`,
      fix: 'fix or delete the value (doctor names the same problem); this tool never writes over a value it cannot parse',
    };
  }
  if (reading.kind === 'refused')
    return { exitCode: 1, summary: `would NOT authenticate: ${reading.reason}`, rule: reading.reason, fix: 'name helpers without a path (docker-credential-NAME on the PATH)' };
  return helperVerdict(reading) ?? entryVerdict(reading, image);
}

function helperVerdict(reading: ReadValue): Verdict | undefined {
  if (reading.credsStore) {
    return {
      exitCode: 2,
      summary: `cannot tell: the value holds "credsStore": "${reading.credsStore}", which the Runner runs on the runner manager for every registry`,
      rule: `credsStore makes the Runner run docker-credential-${reading.credsStore} list and get on the runner manager: if it is missing or fails, the whole value is dropped (this entry too); if it works, what it lists overrides auths entries with the same key — explain cannot run it`,
      fix: 'remove credsStore from the value (auths entries need no helper), or install the helper on every runner manager',
    };
  }
  const match = reading.match;
  if (match?.source === 'credHelpers') {
    const shadowed = reading.ignored.some((entry) => entry.path === match.path && entry.source === 'auths');
    return {
      exitCode: 2,
      summary: `cannot tell: credHelpers sends ${match.key} to docker-credential-${match.helper} on the runner manager`,
      rule: `the Runner takes credHelpers over auths for the same key and runs docker-credential-${match.helper} get ${match.key} on the runner manager; what it returns (or its failure, which drops the whole value) decides — explain cannot run it${shadowed ? '; the auths entry for that host is ignored' : ''}`,
      fix: 'delete that credHelpers entry to use the auths entry (helpers: drop-for-managed-hosts on the refresh target), or check the helper on the runner manager',
    };
  }
  if (match && reading.credHelpers.length > 0) {
    const list = reading.credHelpers.map(({ key, helper }) => `${key} → docker-credential-${helper}`).join(', ');
    return {
      exitCode: 2,
      summary: `cannot tell: the value's credHelpers (${list}) must all work on the runner manager, or the Runner drops the whole value`,
      rule: `the Runner runs every credHelpers helper while reading the value, whatever image the job pulls; one that is missing or fails drops the whole value, this entry included`,
      fix: 'remove credHelpers entries the runner managers cannot run, or install those helpers there',
    };
  }
  return undefined;
}

function entryVerdict(reading: ReadValue, image: ImageReference): Verdict | undefined {
  const match = reading.match;
  if (!match) {
    const keys = reading.entries.map((entry) => entry.path).join(', ') || 'none';
    return {
      exitCode: 1,
      summary: `would NOT authenticate: the value has no entry for ${reading.tried[reading.tried.length - 1] ?? image.domain}`,
      rule: `the Runner looks up ${reading.tried.join(', then ')} (longest first) and the value's entries are for ${keys}; ports and paths must match exactly, hosts compare in lower case`,
      fix: `add an entry for ${image.domain} (a refresh target whose registries include it), or correct the key's host, port or path`,
    };
  }
  if (!hasCredentials(match.credentials)) {
    return {
      exitCode: 1,
      summary: `would NOT authenticate: the entry ${match.key} holds no credentials`,
      rule: `auths["${match.key}"] has no auth, username or token`,
      fix: 'write the entry again (run a refresh)',
    };
  }
  return undefined;
}

function hasCredentials(credentials: EntryCredentials | undefined): credentials is EntryCredentials {
  return credentials !== undefined && (credentials.username !== '' || credentials.password !== '' || credentials.identityToken !== '' || credentials.registryToken !== '');
}

export type Validity = NonNullable<ExplainReport['validity']>;

/** The tool's recorded expiry for the matched entry (an entry it wrote has the bare host as its key). */
export function judgeValidity(value: string, reading: RunnerReading, image: ImageReference, now: number): Validity {
  const match = reading.kind === 'read' ? reading.match : undefined;
  if (!match) return { state: 'no-entry', detail: 'no entry is used for this image' };
  if (match.source === 'credHelpers') return { state: 'from-helper', detail: `credentials come from docker-credential-${match.helper}; their lifetime is the helper's` };
  const isEcr = ECR_HOST.test(match.path.split('/')[0] ?? '') || match.path === PUBLIC_HOST;
  const recorded = entryExpiry(value, match);
  if (recorded === undefined) {
    return isEcr
      ? { state: 'not-recorded', detail: `ECR host not written by this tool (no expiry recorded for ${match.key}); ECR tokens last 12 hours` }
      : { state: 'not-ecr', detail: `${image.domain} is not an ECR host; explain cannot tell how long its credentials last` };
  }
  const left = Date.parse(recorded) - now;
  if (!(left > 0)) return { state: 'expired', expiresAt: recorded, detail: `expired at ${recorded} (recorded by this tool's last refresh)` };
  return { state: 'fresh', expiresAt: recorded, detail: `valid until ${recorded}, in ${formatDuration(left)} (recorded by this tool's last refresh)` };
}

function entryExpiry(value: string, match: RunnerEntry): string | undefined {
  if (match.key !== match.path) return undefined;
  try {
    return recordedExpiry('docker-config', value)?.expiresAt[match.path];
  } catch {
    return undefined;
  }
}

function formatDuration(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

export function validityVerdict(validity: Validity): Verdict {
  if (validity.state === 'expired') {
    return {
      exitCode: 1,
      summary: `would NOT authenticate: the entry ${validity.detail}`,
      rule: 'ECR tokens stop working at their expiry; the registry answers 401',
      fix: 'run a refresh now, and check why the schedule did not (status, the TokenExpiry/RefreshStalled alarms, the function logs)',
    };
  }
  if (validity.state === 'not-recorded') {
    return {
      exitCode: 2,
      summary: `cannot tell: ${validity.detail}`,
      rule: validity.detail,
      fix: 'add the registry to a refresh target so the tool writes and records it, or run with --probe',
    };
  }
  const detail = validity.state === 'fresh' ? validity.detail : `${validity.detail}; run with --probe to ask the registry`;
  return { exitCode: 0, summary: `would authenticate: the job gets the entry and it is ${validity.state === 'fresh' ? 'fresh' : 'present'}`, rule: detail };
}

/** Exactly what the Runner would hand the registry for this entry (Docker's precedence: identity token, then registry token, then user/password). */
function probeCredentials(credentials: EntryCredentials): ProbeCredentials {
  if (credentials.identityToken) return { kind: 'identity-token', username: credentials.username, token: credentials.identityToken };
  if (credentials.registryToken) return { kind: 'registry-token', token: credentials.registryToken };
  return { kind: 'basic', username: credentials.username, password: credentials.password };
}

export async function runProbe(reading: RunnerReading, image: ImageReference, registry: RegistryProbe | undefined): Promise<ProbeReport> {
  const match = reading.kind === 'read' ? reading.match : undefined;
  if (!match) return { ran: false, reason: 'the Runner would send no credentials for this image', steps: [] };
  if (match.source === 'credHelpers' || !hasCredentials(match.credentials)) {
    return {
      ran: false,
      reason: `the credentials would come from docker-credential-${match.helper ?? '?'}, which runs on the runner manager with its identity (an instance role); explain has neither, so it cannot run it — run "docker-credential-${match.helper ?? '?'} get" there instead`,
      steps: [],
    };
  }
  if (!registry) return { ran: false, reason: 'no registry probe configured', steps: [] };
  const answer = await registry.probe({
    endpointHost: image.endpointHost,
    repository: image.repository,
    reference: image.reference,
    credentials: probeCredentials(match.credentials),
  });
  return { ran: true, steps: answer.steps, ...interpretProbe(answer, image) };
}

function interpretProbe(answer: ProbeAnswer, image: ImageReference): Pick<ProbeReport, 'outcome' | 'meaning'> {
  if (answer.error) return { outcome: 'failed', meaning: `the probe could not finish: ${answer.error}` };
  if (answer.tokenStatus === 401 || answer.tokenStatus === 403) {
    return { outcome: 'unauthenticated', meaning: `the token service refused the credentials (${answer.tokenStatus}): wrong or expired password` };
  }
  const target = `${image.repository}:${image.reference}`;
  switch (answer.manifestStatus) {
    case 200:
      return answer.challenge === 'none'
        ? { outcome: 'anonymous', meaning: `${target} exists and the registry asks for no credentials` }
        : { outcome: 'authenticated', meaning: `the registry accepted the credentials and ${target} exists` };
    case 401:
      return { outcome: 'unauthenticated', meaning: 'the registry refused the credentials (401): wrong or expired password (an ECR token older than 12 hours)' };
    case 403:
      return {
        outcome: 'denied',
        meaning: `authenticated, but not permitted to pull ${image.repository} (403): the IAM policy of the identity that minted the token, or the repository policy`,
      };
    case 404:
      return { outcome: 'not-found', meaning: `authenticated, but ${target} does not exist (404): no such repository, tag or digest` };
    default:
      return { outcome: 'failed', meaning: `unexpected answer ${answer.manifestStatus ?? 'none'} to the manifest request` };
  }
}

/**
 * The probe tests exactly the credentials the Runner would send, so it decides validity (it wins
 * over the recorded expiry), but never over a GitLab or Runner rule that already decided.
 */
export function combineWithProbe(verdict: Verdict, probe: ProbeReport | undefined, validity: Validity): Verdict {
  if (!probe?.ran || probe.outcome === 'failed') return verdict;
  const decidedByValidity = verdict.exitCode === 0 || validity.state === 'expired' || validity.state === 'not-recorded';
  if (!decidedByValidity) return verdict;
  if (probe.outcome === 'authenticated' || probe.outcome === 'anonymous') {
    return { exitCode: 0, summary: `would authenticate: the registry accepted the credentials the Runner would send`, rule: probe.meaning ?? 'probe: 200' };
  }
  const fixes: Record<string, string> = {
    unauthenticated: 'run a refresh now, and check why the schedule did not (status, alarms, logs)',
    denied: "let the identity that mints this registry's token pull from it (doctor's pull check names what is missing)",
    'not-found': 'check the image name, tag or digest',
  };
  const what = probe.outcome === 'not-found' ? 'the pull would authenticate but find nothing' : 'would NOT authenticate';
  return { exitCode: 1, summary: `${what}: ${probe.meaning}`, rule: `probe: ${probe.meaning}`, fix: fixes[probe.outcome ?? ''] };
}
