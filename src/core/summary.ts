export type TargetStatus = 'created' | 'updated' | 'would-create' | 'would-update' | 'failed';
export type SecretStatus = 'created' | 'updated' | 'unchanged' | 'would-write' | 'failed';

export interface RegistryResult {
  name: string;
  region: string;
  host?: string;
  status: 'minted' | 'failed';
  expiresAt?: string;
  error?: string;
}

export interface SecretResult {
  name: string;
  status: SecretStatus;
  error?: string;
}

export interface HostChanges {
  replaced: string[];
  added: string[];
  kept: string[];
}

export interface TargetResult {
  target: string;
  variable: string;
  environmentScope?: string;
  status: TargetStatus;
  hosts?: HostChanges;
  error?: string;
}

/** The refresh's whole outcome: printed by `--json`, returned by the Lambda. Never holds a secret. */
export interface RefreshSummary {
  ok: boolean;
  dryRun: boolean;
  durationMs: number;
  registries: RegistryResult[];
  secrets: SecretResult[];
  targets: TargetResult[];
}

export function isSummaryOk(parts: Pick<RefreshSummary, 'registries' | 'secrets' | 'targets'>): boolean {
  return (
    parts.registries.every((registry) => registry.status !== 'failed') &&
    parts.secrets.every((secret) => secret.status !== 'failed') &&
    parts.targets.every((target) => target.status !== 'failed')
  );
}

export function countFailures(summary: RefreshSummary): { registries: number; secrets: number; targets: number } {
  const failed = (items: Array<{ status: string }>) => items.filter((item) => item.status === 'failed').length;
  return { registries: failed(summary.registries), secrets: failed(summary.secrets), targets: failed(summary.targets) };
}
