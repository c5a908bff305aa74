import { describe, expect, it } from 'vitest';
import { secretChecks } from '../../src/core/inspect/secret-checks.js';
import type { SecretDescription } from '../../src/core/ports.js';
import { aConfig } from '../support/builders.js';

const PREFIX = 'ecr/';
const US = 'ecr/prod/us-east-1';
const EU = 'ecr/prod/eu-west-1';
const COMBINED = 'ecr/docker-config';
const KEY_ARN = 'arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const ALIAS_ARN = 'arn:aws:kms:us-east-1:111111111111:alias/ecr-refresher';
const TAGS = { 'managed-by': 'ecr-gitlab-refresher', team: 'platform' };

function configWith(secrets: Record<string, unknown>) {
  return aConfig({ secrets: { prefix: PREFIX, ...secrets } });
}

/** Secrets Manager as a map from name to description (undefined: no such secret; an Error: DescribeSecret fails). */
function inspector(secrets: Record<string, SecretDescription | Error | undefined>) {
  const asked: string[] = [];
  return {
    asked,
    describeSecret: async (name: string) => {
      asked.push(name);
      const secret = secrets[name];
      if (secret instanceof Error) throw secret;
      return secret;
    },
  };
}

const healthy = (overrides: Partial<SecretDescription> = {}): SecretDescription => ({ kmsKeyId: ALIAS_ARN, tags: { ...TAGS, other: 'kept' }, ...overrides });

describe('Function: secretChecks', () => {
  const config = configWith({ kmsKeyId: 'alias/ecr-refresher', tags: { team: 'platform' } });

  it('describes every secret the refresh writes, and says ok once when all are as configured', async () => {
    const aws = inspector({ [US]: healthy(), [EU]: healthy(), [COMBINED]: undefined });
    const checks = await secretChecks(config, aws);
    expect(aws.asked.sort()).toEqual([COMBINED, EU, US]);
    expect(checks).toEqual([
      { check: 'secrets-prefix', subject: PREFIX, status: 'ok', detail: '2 of 3 secrets exist; 1 will be created by the first refresh that mints their registry' },
    ]);
  });

  it('fails a secret scheduled for deletion, with the command that restores it', async () => {
    const checks = await secretChecks(config, inspector({ [US]: healthy({ deletedDate: new Date('2026-12-01T00:00:00Z') }), [EU]: healthy(), [COMBINED]: healthy() }));
    expect(checks.filter((check) => check.status !== 'ok')).toEqual([
      {
        check: 'secret',
        subject: US,
        status: 'fail',
        detail: 'scheduled for deletion on 2026-12-01T00:00:00.000Z: every refresh fails to write it until it is restored',
        fix: `aws secretsmanager restore-secret --secret-id ${US}`,
      },
    ]);
  });

  it('warns about a secret created before kmsKeyId was set (AWS managed key), with the command that moves it', async () => {
    const checks = await secretChecks(config, inspector({ [US]: healthy({ kmsKeyId: undefined }), [EU]: healthy(), [COMBINED]: healthy() }));
    expect(checks.filter((check) => check.status !== 'ok')).toEqual([
      {
        check: 'secret-key',
        subject: US,
        status: 'warn',
        detail: 'encrypted with the AWS managed key aws/secretsmanager, not alias/ecr-refresher: it was created before secrets.kmsKeyId was set',
        fix: `aws secretsmanager update-secret --secret-id ${US} --kms-key-id alias/ecr-refresher (re-encrypts the current versions; needs kms:Decrypt on the old key and kms:GenerateDataKey on the new)`,
      },
    ]);
  });

  it.each([
    ['alias/ecr-refresher', ALIAS_ARN, undefined],
    ['alias/ecr-refresher', 'arn:aws:kms:us-east-1:111111111111:alias/other', 'warn'],
    ['1234abcd-12ab-34cd-56ef-1234567890ab', KEY_ARN, undefined],
    [KEY_ARN, '1234abcd-12ab-34cd-56ef-1234567890ab', undefined],
    [KEY_ARN, 'ffffffff-12ab-34cd-56ef-1234567890ab', 'warn'],
    ['alias/ecr-refresher', KEY_ARN, 'ok'],
  ])('config %s, secret %s → %s', async (configured, actual, status) => {
    const checks = await secretChecks(
      configWith({ kmsKeyId: configured }),
      inspector({
        [US]: healthy({ kmsKeyId: actual, tags: TAGS }),
        [EU]: healthy({ kmsKeyId: configured, tags: TAGS }),
        [COMBINED]: healthy({ kmsKeyId: configured, tags: TAGS }),
      }),
    );
    expect(checks.filter((check) => check.check === 'secret-key').map((check) => [check.subject, check.status])).toEqual(status ? [[US, status]] : []);
  });

  it('says how to check an alias against a key id rather than guessing', async () => {
    const checks = await secretChecks(configWith({ kmsKeyId: 'alias/ecr-refresher' }), inspector({ [US]: healthy({ kmsKeyId: KEY_ARN, tags: TAGS }) }));
    expect(checks.find((check) => check.check === 'secret-key')?.detail).toBe(
      `encrypted with ${KEY_ARN}; the config names alias/ecr-refresher: the same key if that alias points to it (aws kms describe-key --key-id alias/ecr-refresher shows)`,
    );
  });

  it('warns about tags the config sets that the secret lacks or holds another value of, with the command that adds them', async () => {
    const tags = { 'managed-by': 'ecr-gitlab-refresher', team: 'payments', note: 'mine' };
    const checks = await secretChecks(config, inspector({ [US]: healthy({ tags }), [EU]: healthy(), [COMBINED]: healthy() }));
    expect(checks.filter((check) => check.status !== 'ok')).toEqual([
      {
        check: 'secret-tags',
        subject: US,
        status: 'warn',
        detail: 'lacks team=platform (has payments): the refresh tags a secret only when it creates it',
        fix: `aws secretsmanager tag-resource --secret-id ${US} --tags 'Key=team,Value=platform'`,
      },
    ]);
  });

  it('fails a secret it may not describe, naming the permission', async () => {
    const checks = await secretChecks(
      config,
      inspector({ [US]: new Error('AccessDeniedException: not authorized to perform secretsmanager:DescribeSecret'), [EU]: healthy(), [COMBINED]: healthy() }),
    );
    expect(checks.find((check) => check.subject === US)).toMatchObject({ status: 'fail', fix: 'allow secretsmanager:DescribeSecret/CreateSecret/PutSecretValue on secret:ecr/*' });
    expect(checks[0]?.detail).toBe('2 of 3 secrets exist');
  });

  it('checks nothing without a secrets section', async () => {
    const aws = inspector({});
    expect(await secretChecks(aConfig(), aws)).toEqual([]);
    expect(aws.asked).toEqual([]);
  });
});
