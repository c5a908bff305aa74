import type { TargetConfig } from '../config/schema.js';
import { describeError, UnsafeMergeError } from '../errors.js';
import type { HostCredential } from './docker-auth.js';
import { renderValue } from './formats.js';
import { targetSelector, variableRef } from './plan.js';
import type { CiVariableStore, ExistenceHint, StoredVariable, VariableWrite } from './ports.js';
import type { TargetResult } from './summary.js';
import type { VariableSpec } from './variables.js';

/** GitLab's limit for instance-level variable values. */
const INSTANCE_VALUE_LIMIT = 10_000;

export const MANAGED_DESCRIPTION = 'Managed by ecr-gitlab-refresher: ECR entries are replaced on every refresh, other entries are kept';

export interface TargetWork {
  target: TargetConfig;
  spec: VariableSpec;
  credentials: HostCredential[];
  dryRun: boolean;
  now: Date;
}

/**
 * Read, merge, write one variable. Any problem fails this variable alone, and a value that cannot be
 * merged safely is never written.
 */
export async function refreshTarget(work: TargetWork, store: CiVariableStore): Promise<TargetResult> {
  const { target, spec, credentials, dryRun, now } = work;
  const ref = variableRef(target, spec);
  const base: TargetResult = { target: targetSelector(target), variable: spec.key, environmentScope: ref.environmentScope, status: 'failed' };
  try {
    if (credentials.length === 0) {
      throw new UnsafeMergeError('none of its registries could be minted in this run; the variable was left as it was');
    }
    const owned = target.ownership === 'full';
    const existing = owned ? undefined : await store.read(ref);
    const rendered = renderValue(spec.format, currentValue(owned, existing), credentials, now);
    checkWritable(target, spec, existing, rendered.value);
    const hint: ExistenceHint = owned ? 'unknown' : existing ? 'exists' : 'missing';
    const result = { hosts: rendered.hosts, expiresAt: rendered.expiresAt };
    if (dryRun) return { ...base, status: hint === 'missing' ? 'would-create' : 'would-update', ...result };
    const write: VariableWrite = { value: rendered.value, variableType: spec.variableType, protected: spec.protected, masked: spec.masked, description: MANAGED_DESCRIPTION };
    const status = await store.write(ref, write, hint);
    return { ...base, status, ...result };
  } catch (error) {
    return { ...base, error: describeError(error) };
  }
}

function currentValue(owned: boolean, existing: StoredVariable | undefined): string | undefined {
  if (owned || !existing) return undefined;
  if (existing.hidden || existing.value === null) {
    throw new UnsafeMergeError('variable is hidden, so its value cannot be read and merged; set ownership: full to let the tool own the whole value');
  }
  return existing.value;
}

function checkWritable(target: TargetConfig, spec: VariableSpec, existing: StoredVariable | undefined, value: string): void {
  const masked = existing ? existing.masked : spec.masked;
  if (masked && /\s/.test(value)) {
    throw new UnsafeMergeError('value contains whitespace (in an entry this tool does not manage), and GitLab cannot mask it; remove the whitespace or set masked: false');
  }
  if (target.instance && value.length > INSTANCE_VALUE_LIMIT) {
    throw new UnsafeMergeError(`value would be ${value.length} characters, over GitLab's ${INSTANCE_VALUE_LIMIT}-character limit for instance variables`);
  }
}
