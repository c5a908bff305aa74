import { validateConfig } from '../../src/config/parse.js';
import type { Config, GitLabConfig } from '../../src/config/schema.js';
import type { CiVariableStore, Logger, MintedToken, MintRequest, SecretStore, StoredVariable, VariableRef, VariableWrite, WriteConditions } from '../../src/core/ports.js';
import { StaleReadError } from '../../src/errors.js';

/** A valid config with GitLab targets (the gitlab section is always there). */
export function aConfig(overrides: Record<string, unknown> = {}): Config & { gitlab: GitLabConfig } {
  return validateConfig({
    gitlab: { url: 'https://gitlab.example.com', tokenSecretId: 'gitlab-token' },
    registries: [{ name: 'prod', accountId: '111111111111', regions: ['us-east-1', 'eu-west-1'] }],
    targets: [{ project: 'platform/api' }],
    ...overrides,
  }) as Config & { gitlab: GitLabConfig };
}

/**
 * Hand-written minter: one token per (credentials, region) for the caller's own registry (account
 * 999999999999, or the role's account), or a failure for the regions listed in `failRegions`.
 */
export class FakeMinter {
  readonly calls: MintRequest[] = [];
  failRegions = new Set<string>();
  constructor(private readonly expiresAt = new Date('2026-11-22T18:00:00Z')) {}

  async mint(request: MintRequest): Promise<MintedToken> {
    this.calls.push(structuredClone(request));
    if (request.kind === 'public') return { host: 'public.ecr.aws', username: 'AWS', password: 'public-password-0001', expiresAt: this.expiresAt };
    if (this.failRegions.has(request.region)) throw new Error(`AccessDeniedException: not authorized in ${request.region}`);
    const account = /::(\d{12}):/.exec(request.role?.arn ?? '')?.[1];
    return {
      host: `${account ?? '999999999999'}.dkr.ecr.${request.region}.amazonaws.com`,
      username: 'AWS',
      password: `pw-${account ?? 'own'}-${request.region}-secret`,
      expiresAt: this.expiresAt,
    };
  }
}

export class MemorySecretStore implements SecretStore {
  readonly values = new Map<string, string>();
  readonly writes: string[] = [];
  async read(name: string): Promise<string | undefined> {
    return this.values.get(name);
  }
  async write(name: string, value: string): Promise<'created' | 'updated'> {
    this.writes.push(name);
    const status = this.values.has(name) ? 'updated' : 'created';
    this.values.set(name, value);
    return status;
  }
}

function refKey(ref: VariableRef): string {
  const owner = ref.owner.kind === 'instance' ? 'instance' : `${ref.owner.kind}:${ref.owner.id}`;
  return `${owner}|${ref.key}|${ref.environmentScope ?? ''}`;
}

/** In memory, with the real store's contract: PUT only what the read saw, POST only what it did not. */
export class MemoryVariableStore implements CiVariableStore {
  readonly variables = new Map<string, StoredVariable>();
  readonly reads: string[] = [];
  readonly writes: Array<{ key: string; conditions: WriteConditions; write: VariableWrite }> = [];
  failing = new Map<string, Error>();

  set(ref: VariableRef, variable: Partial<StoredVariable> & { value: string | null }): void {
    this.variables.set(refKey(ref), { hidden: false, masked: false, protected: false, raw: true, variableType: 'env_var', description: null, ...variable });
  }
  get(ref: VariableRef): StoredVariable | undefined {
    return this.variables.get(refKey(ref));
  }
  async read(ref: VariableRef): Promise<StoredVariable | undefined> {
    this.reads.push(refKey(ref));
    const failure = this.failing.get(refKey(ref));
    if (failure) throw failure;
    const stored = this.variables.get(refKey(ref));
    return stored && structuredClone(stored);
  }
  async write(ref: VariableRef, write: VariableWrite, conditions: WriteConditions): Promise<'created' | 'updated'> {
    this.writes.push({ key: refKey(ref), conditions, write });
    const existing = this.variables.get(refKey(ref));
    if (Boolean(existing) !== conditions.exists) throw new StaleReadError('existence changed since the read');
    const base: StoredVariable = existing ?? { value: null, hidden: false, masked: false, protected: false, raw: false, variableType: 'env_var', description: null };
    this.variables.set(refKey(ref), { ...base, ...write.settings, value: base.hidden ? null : write.value });
    return existing ? 'updated' : 'created';
  }
}

export class CapturingLogger implements Logger {
  readonly lines: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
  debug = (message: string, fields?: Record<string, unknown>) => this.lines.push({ level: 'debug', message, fields });
  info = (message: string, fields?: Record<string, unknown>) => this.lines.push({ level: 'info', message, fields });
  warn = (message: string, fields?: Record<string, unknown>) => this.lines.push({ level: 'warn', message, fields });
  error = (message: string, fields?: Record<string, unknown>) => this.lines.push({ level: 'error', message, fields });
}
