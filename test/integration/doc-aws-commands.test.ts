import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { CreateSecretCommand, DeleteSecretCommand, DescribeSecretCommand, GetSecretValueCommand, ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, expect } from 'vitest';
import { extractCommands, shellWords } from '../support/doc-commands.js';
import { type MotoServer, motoClientConfig, motoEnv, startMoto } from '../support/moto.js';
import { describeWithBinaries, itWithBinaries } from '../support/system-tools.js';

/**
 * The aws CLI commands README.md and docs/ tell operators to type (Secrets Manager and KMS), run as
 * written — placeholders filled — with the real aws CLI against moto, each checked for its effect.
 * test/unit/doc-commands.test.ts sends every such command here.
 */

const root = new URL('../../', import.meta.url);
const DOCS = [
  'README.md',
  ...readdirSync(new URL('docs/', root))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];
const COMMANDS = [
  ...new Set(
    DOCS.flatMap((file) => extractCommands(file, readFileSync(new URL(file, root), 'utf8')))
      .map((command) => command.text)
      .filter((text) => /^aws (secretsmanager|kms) /.test(text)),
  ),
];

const SECRET = 'ecr-gitlab-refresher/prod/us-east-1';
const ALIAS = 'alias/ecr-refresher';

let moto: MotoServer;
let secrets: SecretsManagerClient;
let keyArn: string;

/** The world each command expects beforehand, and what must hold after it. */
const VERBS: Record<string, { before(secretId: string): Promise<void>; after(secretId: string, words: string[], stdout: string): Promise<void> }> = {
  'secretsmanager create-secret': {
    before: (id) => absent(id),
    after: async (id, words) => expect(await secretValue(id)).toBe(flag(words, '--secret-string')),
  },
  'secretsmanager put-secret-value': {
    before: (id) => present(id),
    after: async (id, words) => expect(await secretValue(id)).toBe(flag(words, '--secret-string')),
  },
  'secretsmanager restore-secret': {
    before: async (id) => {
      await present(id);
      await secrets.send(new DeleteSecretCommand({ SecretId: id, RecoveryWindowInDays: 7 }));
      expect((await secrets.send(new DescribeSecretCommand({ SecretId: id }))).DeletedDate).toBeDefined();
    },
    after: async (id) => expect((await secrets.send(new DescribeSecretCommand({ SecretId: id }))).DeletedDate).toBeUndefined(),
  },
  'secretsmanager tag-resource': {
    before: (id) => present(id),
    after: async (id, words) => {
      const [, key, value] = /^Key=([^,]+),Value=(.*)$/.exec(flag(words, '--tags')) ?? [];
      expect((await secrets.send(new DescribeSecretCommand({ SecretId: id }))).Tags).toContainEqual({ Key: key, Value: value });
    },
  },
  'secretsmanager update-secret': {
    before: (id) => present(id),
    after: async (id, words) => expect((await secrets.send(new DescribeSecretCommand({ SecretId: id }))).KmsKeyId).toBe(flag(words, '--kms-key-id')),
  },
  'kms describe-key': {
    before: async () => {},
    after: async (_id, _words, stdout) => expect(JSON.parse(stdout).KeyMetadata.Arn).toBe(keyArn),
  },
};

function flag(words: string[], name: string): string {
  const index = words.indexOf(name);
  expect(index, `${name} in ${words.join(' ')}`).toBeGreaterThan(0);
  return words[index + 1] as string;
}

async function absent(id: string): Promise<void> {
  const listed = await secrets.send(new ListSecretsCommand({ IncludePlannedDeletion: true }));
  if (listed.SecretList?.some((secret) => secret.Name === id)) await secrets.send(new DeleteSecretCommand({ SecretId: id, ForceDeleteWithoutRecovery: true }));
}

async function present(id: string): Promise<void> {
  await absent(id);
  await secrets.send(new CreateSecretCommand({ Name: id, SecretString: '{"before":true}' }));
}

async function secretValue(id: string): Promise<string | undefined> {
  return (await secrets.send(new GetSecretValueCommand({ SecretId: id }))).SecretString;
}

/** The real aws CLI against moto, JSON out; the environment is moto's and nothing of the caller's AWS setup. */
function aws(args: string[]) {
  return spawnSync('aws', [...args, '--output', 'json'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...motoEnv(moto.url), AWS_PAGER: '' },
  });
}

/** The docs' placeholders: NAME a secret, KEY a key, `alias/…` the key's alias. */
function filled(words: string[]): string[] {
  return words.map((word) => (word === 'NAME' ? SECRET : word === 'KEY' ? keyArn : word === 'alias/…' ? ALIAS : word));
}

describeWithBinaries('Docs: the aws CLI commands operators are told to run', ['aws'], () => {
  beforeAll(async () => {
    moto = await startMoto();
    secrets = new SecretsManagerClient(motoClientConfig(moto.url));
    // No KMS client among the project's dependencies: the aws CLI makes the key and its alias.
    keyArn = JSON.parse(aws(['kms', 'create-key']).stdout).KeyMetadata.Arn;
    expect(aws(['kms', 'create-alias', '--alias-name', ALIAS, '--target-key-id', keyArn]).status).toBe(0);
  });
  afterAll(async () => moto?.stop());

  itWithBinaries('finds them in the docs', ['aws'], () => {
    expect(COMMANDS.length).toBeGreaterThan(4);
  });

  for (const command of COMMANDS) {
    itWithBinaries(command, ['aws'], async () => {
      const words = filled(shellWords(command));
      const verb = VERBS[`${words[1]} ${words[2]}`];
      expect(verb, `add how to check "${words[1]} ${words[2]}" to VERBS`).toBeDefined();
      const secretId = words.includes('--secret-id') ? flag(words, '--secret-id') : words.includes('--name') ? flag(words, '--name') : SECRET;
      await verb?.before(secretId);
      const run = aws(words.slice(1));
      expect(run.status, run.stderr).toBe(0);
      await verb?.after(secretId, words, run.stdout);
    });
  }
});
