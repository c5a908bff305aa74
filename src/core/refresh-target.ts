import type { TargetConfig } from '../config/schema.js';
import { describeError, UnsafeMergeError } from '../errors.js';
import { type DockerConfig, type HostCredential, mergeDockerAuth, parseDockerConfig, readMetadata, serialiseDockerConfig } from './docker-auth.js';
import { targetSelector, variableRef } from './plan.js';
import type { CiVariableStore, ExistenceHint, StoredVariable, VariableWrite } from './ports.js';
import type { TargetResult } from './summary.js';

/** GitLab's limit for instance-level variable values. */
const INSTANCE_VALUE_LIMIT = 10_000;

export const MANAGED_DESCRIPTION = 'Managed by ecr-gitlab-refresher: ECR entries are replaced on every refresh, other entries are kept';

export interface TargetWork {
  target: TargetConfig;
  credentials: HostCredential[];
  dryRun: boolean;
  now: Date;
}

/**
 * Read, merge, write one variable. Any problem fails this target alone, and a value that cannot be
 * merged safely is never written.
 */
export async function refreshTarget(work: TargetWork, store: CiVariableStore): Promise<TargetResult> {
  const { target, credentials, dryRun, now } = work;
  const ref = variableRef(target);
  const base: TargetResult = { target: targetSelector(target), variable: target.variable, environmentScope: ref.environmentScope, status: 'failed' };
  try {
    if (credentials.length === 0) {
      throw new UnsafeMergeError('none of its registries could be minted in this run; the variable was left as it was');
    }
    const existing = target.ownership === 'full' ? undefined : await store.read(ref);
    const current = currentConfig(target, existing);
    const merge = mergeDockerAuth(current, credentials, now);
    const value = serialiseDockerConfig(merge.config);
    checkWritable(target, existing, value);
    const hint: ExistenceHint = target.ownership === 'full' ? 'unknown' : existing ? 'exists' : 'missing';
    const hosts = { replaced: merge.replaced, added: merge.added, kept: merge.kept };
    const expiresAt = Object.values(readMetadata(merge.config)?.expiresAt ?? {}).sort()[0];
    if (dryRun) return { ...base, status: hint === 'missing' ? 'would-create' : 'would-update', hosts, expiresAt };
    const write: VariableWrite = { value, protected: target.protected, masked: target.masked, description: MANAGED_DESCRIPTION };
    const status = await store.write(ref, write, hint);
    return { ...base, status, hosts, expiresAt };
  } catch (error) {
    return { ...base, error: describeError(error) };
  }
}

function currentConfig(target: TargetConfig, existing: StoredVariable | undefined): DockerConfig {
  if (target.ownership === 'full' || !existing) return {};
  if (existing.hidden || existing.value === null) {
    throw new UnsafeMergeError('variable is hidden, so its value cannot be read and merged; set ownership: full to let the tool own the whole value');
  }
  return parseDockerConfig(existing.value);
}

function checkWritable(target: TargetConfig, existing: StoredVariable | undefined, value: string): void {
  const masked = existing ? existing.masked : target.masked;
  if (masked && /\s/.test(value)) {
    throw new UnsafeMergeError('value contains whitespace (in an entry this tool does not manage), and GitLab cannot mask it; remove the whitespace or set masked: false');
  }
  if (target.instance && value.length > INSTANCE_VALUE_LIMIT) {
    throw new UnsafeMergeError(`value would be ${value.length} characters, over GitLab's ${INSTANCE_VALUE_LIMIT}-character limit for instance variables`);
  }
}
