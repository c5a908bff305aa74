import { createHash, randomBytes } from 'node:crypto';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  InvalidParameterException,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import type { SecretStore, SecretWriteOptions, SecretWriteStatus, TokenLock, TokenSecret, TokenSecretState } from '../../core/ports.js';
import { AwsCallError } from '../../errors.js';
import { awsErrorMessage } from './aws-errors.js';

/**
 * Secrets Manager behind the SecretStore port. The ClientRequestToken is derived from name and value,
 * so a retried write of the same value is a no-op instead of a second version.
 */
export class SecretsManagerStore implements SecretStore {
  constructor(readonly client: Pick<SecretsManagerClient, 'send'> = new SecretsManagerClient({})) {}

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
    // The owner check's ARN, not the name: a same-named secret created after the check is another ARN.
    const owned = options.ownerTag ? await this.ownedArn(name, options.ownerTag) : name;
    if (owned === undefined) return this.create(name, value, ClientRequestToken, options);
    try {
      await this.client.send(new PutSecretValueCommand({ SecretId: owned, SecretString: value, ClientRequestToken }));
      return 'updated';
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw new AwsCallError(`secretsmanager:PutSecretValue ${name}: ${awsErrorMessage(error)}`);
    }
    return this.create(name, value, ClientRequestToken, options);
  }

  private async create(name: string, value: string, ClientRequestToken: string, options: SecretWriteOptions): Promise<SecretWriteStatus> {
    try {
      const Tags = Object.entries(options.tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
      await this.client.send(new CreateSecretCommand({ Name: name, SecretString: value, ClientRequestToken, Description: options.description, KmsKeyId: options.kmsKeyId, Tags }));
      return 'created';
    } catch (error) {
      if (!(error instanceof ResourceExistsException)) throw new AwsCallError(`secretsmanager:CreateSecret ${name}: ${awsErrorMessage(error)}`);
    }
    // Created by someone else between our calls: a new version only if it is ours (a concurrent run's).
    const owned = options.ownerTag ? await this.ownedArn(name, options.ownerTag) : name;
    if (owned === undefined) throw new AwsCallError(`${name} vanished while it was being created`);
    try {
      await this.client.send(new PutSecretValueCommand({ SecretId: owned, SecretString: value, ClientRequestToken }));
    } catch (error) {
      throw new AwsCallError(`secretsmanager:PutSecretValue ${name}: ${awsErrorMessage(error)}`);
    }
    return 'updated';
  }

  /**
   * The ARN of the tool's secret of that name, undefined when there is none. An existing secret without
   * the owner tag is someone else's, whatever its name: refused with the fix, and never written.
   */
  private async ownedArn(name: string, tag: { key: string; value: string }): Promise<string | undefined> {
    let described: { ARN?: string; Tags?: Array<{ Key?: string; Value?: string }> };
    try {
      described = await this.client.send(new DescribeSecretCommand({ SecretId: name }));
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw new AwsCallError(`secretsmanager:DescribeSecret ${name}: ${awsErrorMessage(error)}`);
    }
    const tags = described.Tags ?? [];
    if (tags.some((candidate) => candidate.Key === tag.key && candidate.Value === tag.value)) return described.ARN ?? name;
    throw new AwsCallError(
      `${name} exists but was not created by ecr-gitlab-refresher (it has no tag ${tag.key}=${tag.value}), so it was left unchanged: rename or delete that secret, change secrets.prefix, or, if it is this tool's, tag it ${tag.key}=${tag.value}`,
    );
  }
}

/** 64 hex characters: inside Secrets Manager's 32–64 range, stable for one (name, value). */
export function requestToken(name: string, value: string): string {
  return createHash('sha256').update(name).update('\0').update(value).digest('hex');
}

/** What a version id says about a rotation: a lock taken, or an outcome left unknown, and since when. */
function rotationMarkers(version: string): Pick<TokenSecretState, 'lockedAt' | 'unknownSince'> {
  const lockedAt = markedAt(version, LOCK_PREFIX);
  const unknownSince = markedAt(version, UNKNOWN_PREFIX);
  return { ...(lockedAt !== undefined ? { lockedAt } : {}), ...(unknownSince !== undefined ? { unknownSince } : {}) };
}

/** Version ids that mark a rotation lock, or one whose outcome is unknown: `<prefix><epoch ms>-<random>` (32–64 characters). */
const LOCK_PREFIX = 'ecrgr-rotation-lock-';
const UNKNOWN_PREFIX = 'ecrgr-rotation-unknown-';
/** Labels of the versions the lock protocol writes; AWSCURRENT only ever moves by compare-and-swap. */
const LOCK_STAGE = 'ecr-gitlab-refresher-lock';
const NEXT_STAGE = 'ecr-gitlab-refresher-next';

type SecretsClient = Pick<SecretsManagerClient, 'send'>;

/**
 * The GitLab token secret: the bare token or JSON `{"token": "..."}` (other keys kept). A rotated token
 * is written back in the same shape, so whatever else reads the secret keeps working. The rotation lock
 * is a version whose id says so, made current with UpdateSecretVersionStage(RemoveFromVersionId): that
 * call fails unless AWSCURRENT is still where this run last saw it, so two runs can never both hold it.
 */
export class SecretsManagerTokenSecret implements TokenSecret {
  /** The value the run's token came from, and that value's version. */
  private raw?: string;
  private startToken?: string;
  private started?: TokenSecretState;

  constructor(
    private readonly client: SecretsClient,
    readonly id: string,
  ) {}

  async read(): Promise<string> {
    const current = await this.current();
    if (current === undefined) throw new AwsCallError(`GitLab token secret ${this.id} does not exist; create it (see docs/deploy.md)`);
    this.raw = current.raw;
    this.startToken = parseTokenSecret(current.raw, this.id);
    this.started = { version: current.version, changed: false, ...rotationMarkers(current.version) };
    return this.startToken;
  }

  /** The state `read` found, without asking Secrets Manager again (for doctor, which only reports it). */
  startState(): TokenSecretState | undefined {
    return this.started;
  }

  async adopt(): Promise<string> {
    return this.read();
  }

  async state(): Promise<TokenSecretState> {
    const current = await this.current();
    if (current === undefined) throw new AwsCallError(`GitLab token secret ${this.id} does not exist`);
    const changed = parseTokenSecret(current.raw, this.id) !== this.startToken;
    // The lock and the successor are written from this value: other keys edited since the start are kept.
    if (!changed) this.raw = current.raw;
    return { version: current.version, changed, ...rotationMarkers(current.version) };
  }

  async lock(from: string, now: number): Promise<TokenLock> {
    const lock = await this.writeMarker(LOCK_PREFIX, now);
    return (await this.makeCurrent(lock, from)) ? { taken: true, lock } : { taken: false };
  }

  async markUnknown(lock: string, now: number): Promise<void> {
    await this.makeCurrent(await this.writeMarker(UNKNOWN_PREFIX, now), lock);
  }

  /** A new version holding the same value, named so every reader knows what it means. */
  private async writeMarker(prefix: string, now: number): Promise<string> {
    const version = `${prefix}${now}-${randomBytes(8).toString('hex')}`;
    await this.call('PutSecretValue', new PutSecretValueCommand({ SecretId: this.id, SecretString: this.raw, ClientRequestToken: version, VersionStages: [LOCK_STAGE] }));
    return version;
  }

  async unlock(lock: string, previous: string): Promise<void> {
    await this.makeCurrent(previous, lock);
  }

  async store(token: string, lock: string): Promise<'stored' | 'changed'> {
    const raw = this.raw ?? '';
    const next = raw.trim().startsWith('{') ? JSON.stringify({ ...(JSON.parse(raw) as Record<string, unknown>), token }) : token;
    // Derived from the value: a repeated store writes no second version.
    const version = requestToken(this.id, next);
    await this.call('PutSecretValue', new PutSecretValueCommand({ SecretId: this.id, SecretString: next, ClientRequestToken: version, VersionStages: [NEXT_STAGE] }));
    if (await this.makeCurrent(version, lock)) {
      this.raw = next;
      return 'stored';
    }
    // An earlier attempt may have moved AWSCURRENT already and lost its answer.
    const current = await this.current();
    if (current?.version !== version) return 'changed';
    this.raw = next;
    return 'stored';
  }

  /** Moves AWSCURRENT from `from` to `to`; false when `from` is no longer current (someone else moved it). */
  private async makeCurrent(to: string, from: string): Promise<boolean> {
    try {
      await this.client.send(new UpdateSecretVersionStageCommand({ SecretId: this.id, VersionStage: 'AWSCURRENT', MoveToVersionId: to, RemoveFromVersionId: from }));
      return true;
    } catch (error) {
      if (error instanceof InvalidParameterException) return false;
      throw new AwsCallError(`secretsmanager:UpdateSecretVersionStage ${this.id}: ${awsErrorMessage(error)}`);
    }
  }

  private async current(): Promise<{ raw: string; version: string } | undefined> {
    try {
      // AWSCURRENT named explicitly: AWS's default anyway, and moto's default pointer ignores UpdateSecretVersionStage.
      const response = await this.client.send(new GetSecretValueCommand({ SecretId: this.id, VersionStage: 'AWSCURRENT' }));
      return { raw: response.SecretString ?? '', version: response.VersionId ?? '' };
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw new AwsCallError(`secretsmanager:GetSecretValue ${this.id}: ${awsErrorMessage(error)}`);
    }
  }

  private async call(action: string, command: PutSecretValueCommand): Promise<void> {
    try {
      await this.client.send(command);
    } catch (error) {
      throw new AwsCallError(`secretsmanager:${action} ${this.id}: ${awsErrorMessage(error)}`);
    }
  }
}

function markedAt(version: string, prefix: string): number | undefined {
  if (!version.startsWith(prefix)) return undefined;
  const at = Number(version.slice(prefix.length).split('-')[0]);
  return Number.isFinite(at) ? at : undefined;
}

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
