/**
 * The narrow interfaces the core needs from the outside world. Adapters in `src/adapters/` implement
 * them; unit tests implement them by hand. Nothing here imports an SDK.
 */

export interface AwsRole {
  arn: string;
  externalId?: string;
}

/**
 * One GetAuthorizationToken call: private ECR in one region, or ECR Public. A private token is per
 * (credentials, region) and works for every registry of that region the identity may pull from
 * (`registryIds` is deprecated and never sent).
 */
export type MintRequest = { kind: 'private'; region: string; role?: AwsRole } | { kind: 'public'; role?: AwsRole };

export interface MintedToken {
  /** Registry host taken from the service's `proxyEndpoint` (the caller's own registry), without scheme. */
  host: string;
  username: string;
  password: string;
  expiresAt: Date;
}

export interface TokenMinter {
  mint(request: MintRequest): Promise<MintedToken>;
}

export interface SecretWriteOptions {
  description: string;
  kmsKeyId?: string;
  tags?: Record<string, string>;
  /**
   * The tag that marks a secret as the writer's own: an existing secret without it was created by someone
   * else and is never written (a name inside the prefix is not proof of ownership).
   */
  ownerTag?: { key: string; value: string };
}

export type SecretWriteStatus = 'created' | 'updated' | 'unchanged';

export interface SecretStore {
  /** The current value, or undefined when the secret does not exist. */
  read(name: string): Promise<string | undefined>;
  write(name: string, value: string, options: SecretWriteOptions): Promise<SecretWriteStatus>;
}

export type VariableOwner = { kind: 'project'; id: string } | { kind: 'group'; id: string } | { kind: 'instance' };

export interface VariableRef {
  owner: VariableOwner;
  key: string;
  /** Undefined for instance variables, which have no scope. */
  environmentScope?: string;
}

export type VariableType = 'env_var' | 'file';

/** A variable's own settings, as GitLab stores them. */
export interface VariableSettings {
  variableType: VariableType;
  protected: boolean;
  masked: boolean;
  raw: boolean;
  description: string | null;
}

export interface StoredVariable extends VariableSettings {
  /** Null when the variable is hidden: GitLab never returns a hidden value. */
  value: string | null;
  hidden: boolean;
  environmentScope?: string;
}

/** A value to store, with only the settings to send: on update, anything left out keeps what GitLab has. */
export interface VariableWrite {
  value: string;
  settings: Partial<VariableSettings>;
}

export interface WriteConditions {
  /** What the read said: an existing variable is updated (PUT), a missing one created (POST). */
  exists: boolean;
  /**
   * Epoch ms after which the read is too old to write a value merged from it: the store throws
   * StaleReadError instead of sending, and the caller reads and merges again.
   */
  sendBy?: number;
}

export interface CiVariableStore {
  /** Undefined when the variable does not exist in that scope. */
  read(ref: VariableRef): Promise<StoredVariable | undefined>;
  /**
   * Writes exactly what the read allowed: throws StaleReadError when the variable changed existence
   * since the read, when the read is too old, or when a write must be retried (so the caller re-reads
   * and merges again instead of reverting someone's edit), and MaskRefusedError when GitLab refuses
   * to mask the value.
   */
  write(ref: VariableRef, variable: VariableWrite, conditions: WriteConditions): Promise<'created' | 'updated'>;
}

export interface Clock {
  now(): number;
}

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** A pull probe: may the identity that mints a registry's token (ourselves, or the role) pull from it? */
export interface PullProbe {
  region: string;
  /** The registry's account; undefined for the minting identity's own. */
  accountId?: string;
  role?: AwsRole;
  repository: string;
}

/** `allowed`: the probe was authorised (even if nothing is in the repository); `denied`: ECR refused it. */
export type PullProbeResult = { outcome: 'allowed'; detail: string } | { outcome: 'denied'; detail: string } | { outcome: 'unknown'; detail: string };

/** What DescribeSecret tells `doctor` about a secret the refresh writes. */
export interface SecretDescription {
  /** Set while the secret is scheduled for deletion: every write to it fails until it is restored. */
  deletedDate?: Date;
  /** As Secrets Manager reports it (key id, key ARN or alias ARN); undefined for the AWS managed key aws/secretsmanager. */
  kmsKeyId?: string;
  tags: Record<string, string>;
}

/** Read-only AWS lookups for `doctor`. */
export interface AwsInspector extends ProfileInspector {
  callerIdentity(): Promise<{ account: string; arn: string }>;
  /** The secret's state, key and tags; undefined when there is none; throws when the caller may not describe it. */
  describeSecret(name: string): Promise<SecretDescription | undefined>;
  assumeRole(role: AwsRole): Promise<void>;
  /** Asks ECR for an image that does not exist (BatchGetImage): authorisation is checked before the lookup. */
  probePull(probe: PullProbe): Promise<PullProbeResult>;
}

// --- Profiles (pull-time mode) ---------------------------------------------------------------------

/** An IAM OIDC provider as IAM describes it. */
export interface OidcProviderInfo {
  /** Without scheme, as IAM stores it: `gitlab.example.com`. */
  url: string;
  /** The audiences it accepts. */
  clientIds: string[];
}

/** A role the stack made for a profile, found by its tag naming the profile's secret. */
export interface ProfileRoleInfo {
  arn: string;
  /** The trust policy document, parsed. */
  trustPolicy: unknown;
}

/** The IAM and Secrets Manager reads doctor makes for profiles. */
export interface ProfileInspector {
  /** Undefined when there is no provider with that ARN. */
  oidcProvider(arn: string): Promise<OidcProviderInfo | undefined>;
  /** Roles under the stack's IAM path tagged as readers of this secret, in the caller's region. */
  profileRoles(secretName: string): Promise<ProfileRoleInfo[]>;
  /** A secret's current value; undefined when it does not exist. */
  secretValue(name: string): Promise<string | undefined>;
}

/** What GitLab says about the token in use (`GET /personal_access_tokens/self`). */
export interface GitLabTokenInfo {
  name?: string;
  scopes?: string[];
  active: boolean;
  revoked: boolean;
  /** `YYYY-MM-DD`; undefined for a token that never expires. */
  expiresAt?: string;
}

/** The refresher's own GitLab token: personal, group or project access tokens alike. */
export interface GitLabTokenApi {
  /** Undefined when GitLab has no self-lookup for this kind of token (OAuth, job tokens). */
  self(): Promise<GitLabTokenInfo | undefined>;
  /** `POST /personal_access_tokens/self/rotate`: GitLab revokes the token in use at once and returns its successor. */
  rotateSelf(expiresAt: string): Promise<{ token: string; expiresAt?: string }>;
}

/** The token secret as a rotation sees it, read just before rotating. */
export interface TokenSecretState {
  /** Opaque id of the current version. */
  version: string;
  /** The current version holds another token than the one this run started with. */
  changed: boolean;
  /** Epoch ms at which a rotation took the secret, when the current version is such a lock. */
  lockedAt?: number;
  /** Epoch ms since which a rotation's outcome is unknown (its rotate request got no answer). */
  unknownSince?: number;
}

export type TokenLock = { taken: true; lock: string } | { taken: false };

/**
 * The Secrets Manager secret that holds the GitLab token, with a lock so that two overlapping runs never
 * both rotate (GitLab's reuse detection would revoke the successor too). Every step is a compare-and-swap
 * of the secret's current version: nothing here can revert someone else's edit.
 */
export interface TokenSecret {
  /** The secret's name or ARN, for messages. */
  readonly id: string;
  state(): Promise<TokenSecretState>;
  /**
   * Writes a new version holding the same token and makes it current only if `from` still is: a real
   * write (the secret is provably writable now) that every other run reads as "a rotation is running".
   */
  lock(from: string, now: number): Promise<TokenLock>;
  /** Makes `previous` current again if the lock still is (the rotation was refused before anything changed). */
  unlock(lock: string, previous: string): Promise<void>;
  /** Replaces the lock by a marker every later run reads as "a rotation's outcome is unknown" (until a person stores a token). */
  markUnknown(lock: string, now: number): Promise<void>;
  /** Stores the successor in the secret's own format and makes it current if the lock still is; safe to repeat. */
  store(token: string, lock: string): Promise<'stored' | 'changed'>;
  /** The token the secret holds now (another run's successor), which this run then goes on with. */
  adopt(): Promise<string>;
}

export interface GitLabUser {
  id: number;
  username: string;
  isAdmin: boolean;
}

/** Read-only GitLab lookups for `doctor`. */
export interface GitLabInspector {
  currentUser(): Promise<GitLabUser>;
  /** The user's effective access level (inherited included), 0 when not a member. */
  accessLevel(owner: { kind: 'project' | 'group'; id: string }, userId: number): Promise<number>;
}

/** A project or group found below a group. */
export interface DescendantOwner {
  kind: 'project' | 'group';
  id: number;
  fullPath: string;
}

/** A variable as the list endpoints return it: with its value (null when hidden). */
export interface ListedVariable extends StoredVariable {
  key: string;
  environmentScope: string;
}

/** What lives below a group: the projects and subgroups that inherit its variables, and their own variables. */
export interface GitLabDiscovery {
  /**
   * Projects and subgroups at any depth below the group, never projects merely shared with it (they
   * inherit nothing). Stops fetching once more than `limit` are known.
   */
  descendants(groupId: string, limit: number): Promise<DescendantOwner[]>;
  /** Every variable the owner defines, in every scope, values included. */
  variables(owner: { kind: 'project' | 'group'; id: string }): Promise<ListedVariable[]>;
  /** The full path of a project or group named by id or path. */
  fullPath(kind: 'project' | 'group', id: string): Promise<string>;
}

/** How doctor reaches GitLab (docs/network.md). */
export interface GitLabRouteReport {
  /** Direct, through which proxy (never its credentials), or why a proxy is bypassed. */
  route: string;
  /** The extra CA certificates trusted for GitLab besides the default ones. */
  caCertificates: Array<{ subject: string; expiresAt: string; expired: boolean }>;
}

// --- Explain (read-only: one job's pull) -------------------------------------------------------------
// Adapters: src/adapters/gitlab/job-variables.ts and src/adapters/registry/registry-probe.ts.

export interface ProjectInfo {
  id: number;
  fullPath: string;
  defaultBranch?: string;
  /** `group` namespaces pass their variables (and their ancestors') to the project; personal (`user`) ones pass none. */
  namespace: { kind: 'group' | 'user'; fullPath: string };
}

export type VariableLevel = { kind: 'instance' } | { kind: 'group'; path: string } | { kind: 'project'; path: string };

/** What GitLab holds for one project's jobs. Every method throws (GitLabApiError) when GitLab refuses or fails. */
export interface JobVariableSource {
  project(path: string): Promise<ProjectInfo>;
  /** Every variable the level defines, in every scope, values included (all pages). */
  variables(level: VariableLevel): Promise<ListedVariable[]>;
  /** Names and wildcard patterns of the project's protected branches and tags (group-level ones included, as GitLab lists them). */
  protectedRefs(projectPath: string): Promise<{ branches: string[]; tags: string[] }>;
  /** Whether a branch or tag of that exact name exists. */
  refExists(projectPath: string, kind: 'branch' | 'tag', name: string): Promise<boolean>;
}

/** Exactly what the Runner would hand the registry; never printed. */
export type ProbeCredentials =
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'identity-token'; username: string; token: string }
  | { kind: 'registry-token'; token: string };

export interface ProbeRequest {
  /** Where the registry API answers (`HOST[:PORT]`). */
  endpointHost: string;
  repository: string;
  /** Tag or digest. */
  reference: string;
  credentials: ProbeCredentials;
}

/** One HTTP exchange of the probe, without credentials. */
export interface ProbeStep {
  request: string;
  /** HTTP status, or undefined when no answer came. */
  status?: number;
  detail?: string;
}

export interface ProbeAnswer {
  steps: ProbeStep[];
  /** The registry's challenge on `GET /v2/` without credentials. */
  challenge?: 'none' | 'basic' | 'bearer' | 'other';
  /** A token service refused the credentials (Bearer registries). */
  tokenStatus?: number;
  /** The manifest HEAD's status with the credentials. */
  manifestStatus?: number;
  /** Why the probe could not finish (network, TLS, an answer it could not read). */
  error?: string;
}

/** Asks a registry, with given credentials, whether one manifest can be read (`GET /v2/`, token, `HEAD` manifest). */
export interface RegistryProbe {
  probe(request: ProbeRequest): Promise<ProbeAnswer>;
}
