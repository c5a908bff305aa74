import { createHash } from 'node:crypto';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { SecretStore, SecretWriteOptions, SecretWriteStatus, TokenSecret } from '../../core/ports.js';
import { AwsCallError } from '../../errors.js';
import { awsErrorMessage } from './aws-errors.js';

/**
 * Secrets Manager behind the SecretStore port. The ClientRequestToken is derived from name and value,
 * so a retried write of the same value is a no-op instead of a second version.
 */
export class SecretsManagerStore implements SecretStore {
  constructor(private readonly client: Pick<SecretsManagerClient, 'send'> = new SecretsManagerClient({})) {}

  async read(name: string): Promise<string | undefined> {
    try {
      const response = await this.client.send(new GetSecretValueCommand({ SecretId: name }));
      return response.SecretString;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw new AwsCallError(`secretsmanager:GetSecretValue ${name}: ${awsErrorMessage(error)}`);
    }
  }

  async write(name: string, value: string, options: SecretWriteOptions): Promise<SecretWriteStatus> {
    const ClientRequestToken = requestToken(name, value);
    try {
      await this.client.send(new PutSecretValueCommand({ SecretId: name, SecretString: value, ClientRequestToken }));
      return 'updated';
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw new AwsCallError(`secretsmanager:PutSecretValue ${name}: ${awsErrorMessage(error)}`);
    }
    try {
      const Tags = Object.entries(options.tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
      await this.client.send(new CreateSecretCommand({ Name: name, SecretString: value, ClientRequestToken, Description: options.description, KmsKeyId: options.kmsKeyId, Tags }));
      return 'created';
    } catch (error) {
      // Created by a concurrent run between our two calls: fall back to a new version.
      if (error instanceof ResourceExistsException) {
        await this.client.send(new PutSecretValueCommand({ SecretId: name, SecretString: value, ClientRequestToken }));
        return 'updated';
      }
      throw new AwsCallError(`secretsmanager:CreateSecret ${name}: ${awsErrorMessage(error)}`);
    }
  }
}

/** 64 hex characters: inside Secrets Manager's 32–64 range, stable for one (name, value). */
export function requestToken(name: string, value: string): string {
  return createHash('sha256').update(name).update('\0').update(value).digest('hex');
}

/**
 * The GitLab token secret: the bare token or JSON `{"token": "..."}` (other keys kept). A rotated token
 * is written back in the same shape, so whatever else reads the secret keeps working.
 */
export class SecretsManagerTokenSecret implements TokenSecret {
  private raw?: string;

  constructor(
    private readonly secrets: SecretStore,
    readonly secretId: string,
  ) {}

  async read(): Promise<string> {
    const raw = await this.secrets.read(this.secretId);
    if (raw === undefined) throw new AwsCallError(`GitLab token secret ${this.secretId} does not exist; create it (see README: deploy)`);
    const token = parseTokenSecret(raw, this.secretId);
    this.raw = raw;
    return token;
  }

  async checkWritable(): Promise<void> {
    const raw = this.raw ?? (await this.secrets.read(this.secretId));
    if (raw === undefined) throw new AwsCallError(`GitLab token secret ${this.secretId} does not exist`);
    await this.secrets.write(this.secretId, raw, TOKEN_SECRET_OPTIONS);
  }

  async store(token: string): Promise<void> {
    const raw = this.raw ?? '';
    const next = raw.trim().startsWith('{') ? JSON.stringify({ ...(JSON.parse(raw) as Record<string, unknown>), token }) : token;
    await this.secrets.write(this.secretId, next, TOKEN_SECRET_OPTIONS);
    this.raw = next;
  }
}

const TOKEN_SECRET_OPTIONS: SecretWriteOptions = { description: 'GitLab token of ecr-gitlab-refresher' };

function parseTokenSecret(raw: string, secretId: string): string {
  const text = raw.trim();
  if (text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new AwsCallError(`GitLab token secret ${secretId} starts with "{" but is not valid JSON`);
    }
    const token = (parsed as { token?: unknown }).token;
    if (typeof token !== 'string' || token.length === 0) throw new AwsCallError(`GitLab token secret ${secretId} is JSON without a "token" string`);
    return token;
  }
  if (!text) throw new AwsCallError(`GitLab token secret ${secretId} is empty`);
  return text;
}
