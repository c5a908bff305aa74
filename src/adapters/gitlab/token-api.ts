import { PersonalAccessTokens } from '@gitbeaker/core';
import type { GitLabTokenApi, GitLabTokenInfo } from '../../core/ports.js';
import { AmbiguousOutcomeError, GitLabApiError } from '../../errors.js';
import { writePolicy } from './transport.js';
import { type GitLabStoreOptions, gitbeakerOptions } from './variable-store.js';

interface TokenBody {
  name?: string;
  scopes?: string[];
  active?: boolean;
  revoked?: boolean;
  expires_at?: string | null;
  token?: string;
}

/**
 * `/personal_access_tokens/self` and its `rotate`: they serve personal, group and project access
 * tokens alike (the latter two belong to bot users). The rotated token is returned, never logged.
 */
export class GitLabSelfTokenApi implements GitLabTokenApi {
  private readonly tokens: PersonalAccessTokens;

  constructor(options: GitLabStoreOptions) {
    this.tokens = new PersonalAccessTokens(gitbeakerOptions(options));
  }

  async self(): Promise<GitLabTokenInfo | undefined> {
    try {
      const body = (await this.tokens.show()) as TokenBody;
      return { name: body.name, scopes: body.scopes, active: body.active !== false, revoked: body.revoked === true, expiresAt: body.expires_at ?? undefined };
    } catch (error) {
      // OAuth and job tokens have no self-lookup.
      if (error instanceof GitLabApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  /** Sent once: GitLab revokes the calling token on the first rotate, and revokes the whole family on a second. */
  async rotateSelf(expiresAt: string): Promise<{ token: string; expiresAt?: string }> {
    const body = (await writePolicy.run({ once: true }, () => this.tokens.rotate('self' as unknown as number, { expiresAt }))) as TokenBody;
    // A 2xx was sent by GitLab or by something in front of it (a proxy's page): either way the old token may be revoked.
    if (typeof body?.token !== 'string' || body.token.length === 0) {
      throw new AmbiguousOutcomeError('the rotate request was answered 2xx but without a new token; GitLab may have applied it');
    }
    return { token: body.token, expiresAt: body.expires_at ?? undefined };
  }
}
