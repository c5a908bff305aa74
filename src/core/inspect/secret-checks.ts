import type { Config, SecretsConfig } from '../../config/schema.js';
import { MANAGED_BY_TAG, writtenSecretNames } from '../../domain/secret-names.js';
import { describeError } from '../../errors.js';
import { mapWithConcurrency } from '../concurrency.js';
import { secretTags } from '../formats/secret-records.js';
import type { AwsInspector, SecretDescription } from '../ports.js';
import type { Check } from './checks.js';

const DESCRIBE_CONCURRENCY = 4;

/**
 * Every secret the refresh writes, as Secrets Manager describes it: one line for all that are fine, and
 * one per secret that is scheduled for deletion (fail: every write to it fails) or that keeps a key or
 * tags the config no longer says (warn: the refresh only sets them when it creates a secret).
 */
export async function secretChecks(config: Config, aws: Pick<AwsInspector, 'describeSecret'>): Promise<Check[]> {
  const settings = config.secrets;
  if (!settings) return [];
  const names = writtenSecretNames(config).map((secret) => secret.name);
  type Described = { name: string; secret: SecretDescription | undefined } | { name: string; error: string };
  const described = await mapWithConcurrency(names, DESCRIBE_CONCURRENCY, async (name): Promise<Described> => {
    try {
      return { name, secret: await aws.describeSecret(name) };
    } catch (error) {
      return { name, error: describeError(error) };
    }
  });
  const problems: Check[] = [];
  let existing = 0;
  let missing = 0;
  for (const entry of described) {
    if ('error' in entry) {
      problems.push({
        check: 'secret',
        subject: entry.name,
        status: 'fail',
        detail: entry.error,
        fix: `allow secretsmanager:DescribeSecret/CreateSecret/PutSecretValue on secret:${settings.prefix}*`,
      });
    } else if (entry.secret) {
      existing++;
      problems.push(...secretProblems(entry.name, entry.secret, settings));
    } else {
      missing++;
    }
  }
  const later = missing > 0 ? `; ${missing} will be created by the first refresh that mints their registry` : '';
  return [{ check: 'secrets-prefix', subject: settings.prefix, status: 'ok', detail: `${existing} of ${names.length} secrets exist${later}` }, ...problems];
}

function secretProblems(name: string, secret: SecretDescription, settings: SecretsConfig): Check[] {
  // Someone else's secret: the refresh never writes it, so neither its deletion nor its tags are ours to fix.
  if (secret.tags[MANAGED_BY_TAG.key] !== MANAGED_BY_TAG.value) {
    return [
      {
        check: 'secret',
        subject: name,
        status: 'fail',
        detail: `exists without the tag ${MANAGED_BY_TAG.key}=${MANAGED_BY_TAG.value}: not created by this tool, so every refresh leaves it alone and fails it`,
        fix: `rename or delete that secret, or change secrets.prefix; tag it ${MANAGED_BY_TAG.key}=${MANAGED_BY_TAG.value} only if it really is this tool's (its value is then overwritten)`,
      },
    ];
  }
  if (secret.deletedDate) {
    return [
      {
        check: 'secret',
        subject: name,
        status: 'fail',
        detail: `scheduled for deletion on ${secret.deletedDate.toISOString()}: every refresh fails to write it until it is restored`,
        fix: `aws secretsmanager restore-secret --secret-id ${name}`,
      },
    ];
  }
  const problems: Check[] = [];
  const key = keyDifference(name, settings.kmsKeyId, secret.kmsKeyId);
  if (key) problems.push({ check: 'secret-key', subject: name, ...key });
  const wanted = secretTags(settings);
  const differing = Object.entries(wanted).filter(([tag, value]) => secret.tags[tag] !== value);
  if (differing.length > 0) {
    problems.push({
      check: 'secret-tags',
      subject: name,
      status: 'warn',
      detail: `lacks ${differing.map(([tag]) => (tag in secret.tags ? `${tag}=${wanted[tag]} (has ${secret.tags[tag]})` : `${tag}=${wanted[tag]}`)).join(', ')}: the refresh tags a secret only when it creates it`,
      fix: `aws secretsmanager tag-resource --secret-id ${name} --tags ${differing.map(([tag, value]) => `'Key=${tag},Value=${value}'`).join(' ')}`,
    });
  }
  return problems;
}

/**
 * Whether the secret's key differs from `secrets.kmsKeyId`. Secrets Manager reports a key id, key ARN or
 * alias ARN; names of one kind are compared by their last part (`key/<id>`, `alias/<name>`). An alias
 * against a key id cannot be settled without KMS, so it is an ok line that says how to check.
 */
function keyDifference(name: string, configured: string | undefined, actual: string | undefined): Omit<Check, 'check' | 'subject'> | undefined {
  if (configured === undefined) return undefined;
  const fix = `aws secretsmanager update-secret --secret-id ${name} --kms-key-id ${configured} (re-encrypts the current versions; needs kms:Decrypt on the old key and kms:GenerateDataKey on the new)`;
  if (actual === undefined) {
    return { status: 'warn', detail: `encrypted with the AWS managed key aws/secretsmanager, not ${configured}: it was created before secrets.kmsKeyId was set`, fix };
  }
  const want = keyName(configured);
  const have = keyName(actual);
  if (want.kind === have.kind) return want.name === have.name ? undefined : { status: 'warn', detail: `encrypted with ${actual}, not ${configured}`, fix };
  return {
    status: 'ok',
    detail: `encrypted with ${actual}; the config names ${configured}: the same key if that alias points to it (aws kms describe-key --key-id ${configured} shows)`,
  };
}

/** `alias/x`, `arn:…:alias/x` → alias x; a key id or `arn:…:key/id` → key id. */
function keyName(id: string): { kind: 'alias' | 'key'; name: string } {
  const alias = /(?:^|:)alias\/(.+)$/.exec(id);
  if (alias) return { kind: 'alias', name: alias[1] as string };
  return { kind: 'key', name: /:key\/(.+)$/.exec(id)?.[1] ?? id };
}
