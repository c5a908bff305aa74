/**
 * Adversarial review 2 (branch `attack2`): doctor and the refresh disagree about a same-named secret
 * without the owner tag. Red on main before the fixes that landed with it (2026-11-30).
 */
import { describe, expect, it } from 'vitest';
import { secretChecks } from '../../src/core/inspect/secret-checks.js';
import type { SecretDescription } from '../../src/core/ports.js';
import { aConfig } from '../support/builders.js';

const US = 'ecr/prod/us-east-1';

describe('doctor on a secret the refresh refuses to write (no managed-by=ecr-gitlab-refresher)', () => {
  const config = aConfig({ secrets: { prefix: 'ecr/' } });
  const foreign: SecretDescription = { tags: { team: 'payments' } };
  const aws = { describeSecret: async (name: string) => (name === US ? foreign : undefined) };

  it("fails it (every refresh fails that secret) and never advises tagging it as the tool's, which would hand it over to be overwritten", async () => {
    const checks = await secretChecks(config, aws);
    const mine = checks.filter((check) => check.subject === US);
    expect(mine).toHaveLength(1);
    expect(mine[0]?.status).toBe('fail');
    expect(mine[0]?.fix ?? '').not.toMatch(/^aws secretsmanager tag-resource .*managed-by/);
  });

  it('does not advise restoring a foreign secret that is scheduled for deletion', async () => {
    const deleted = { describeSecret: async (name: string) => (name === US ? { ...foreign, deletedDate: new Date('2030-01-01T00:00:00Z') } : undefined) };
    const checks = await secretChecks(config, deleted);
    expect(checks.find((check) => check.subject === US)?.fix ?? '').not.toMatch(/restore-secret/);
  });
});
