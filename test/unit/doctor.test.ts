import { describe, expect, it } from 'vitest';
import { type DoctorPorts, runDoctor } from '../../src/core/inspect/doctor.js';
import type { PullProbe, PullProbeResult } from '../../src/core/ports.js';
import { aConfig, FakeMinter } from '../support/builders.js';

/** Ports where AWS answers as told and GitLab is unreachable, so only the AWS checks run. */
function ports(probe: (request: PullProbe) => PullProbeResult, minter = new FakeMinter()): DoctorPorts {
  const unreachable = async (): Promise<never> => {
    throw new Error('GitLab unreachable');
  };
  return {
    aws: {
      callerIdentity: async () => ({ account: '999999999999', arn: 'arn:aws:sts::999999999999:assumed-role/ops/me' }),
      describeSecret: async () => ({ tags: {} }),
      assumeRole: async () => {},
      probePull: async (request) => probe(request),
      oidcProvider: unreachable,
      profileRoles: unreachable,
      secretValue: unreachable,
    },
    minter,
    gitlab: { currentUser: unreachable, accessLevel: unreachable },
    discovery: { descendants: unreachable, variables: unreachable, fullPath: unreachable },
    token: { self: unreachable, rotateSelf: unreachable },
    variables: { read: unreachable, write: unreachable },
    onSecret: () => {},
    now: Date.now,
  };
}

const config = aConfig({
  registries: [
    { name: 'own', regions: ['eu-west-1'] },
    { name: 'other', accountId: '333333333333', regions: ['eu-west-1'] },
    { name: 'listed', accountId: '444444444444', regions: ['eu-west-1'], repositories: ['team/*', 'team/app'] },
  ],
});

describe('Function: runDoctor (pull permissions of the minting identity)', () => {
  it('fails a refused pull with the fix for its case: own account, or another account without a role', async () => {
    const checks = await runDoctor(
      config,
      ports(() => ({ outcome: 'denied', detail: 'AccessDeniedException' })),
    );
    const pull = Object.fromEntries(checks.filter((c) => c.check === 'pull').map((c) => [c.subject, c]));
    expect(pull['own@eu-west-1']).toMatchObject({
      status: 'fail',
      fix: expect.stringMatching(/arn:aws:ecr:eu-west-1:999999999999:repository\/\* \(serverless deploy grants them/),
    });
    expect(pull['other@eu-west-1']).toMatchObject({ status: 'fail', fix: expect.stringMatching(/account 333333333333 need a repository policy .* or give "other" a roleArn/) });
  });

  it('probes a listed repository (not a wildcard); a missing repository proves the pull in the own account, elsewhere it is "not verified" (ok, with the hint)', async () => {
    const seen: PullProbe[] = [];
    const checks = await runDoctor(
      config,
      ports((request) => {
        seen.push(request);
        return { outcome: 'unknown', detail: 'repository does not exist' };
      }),
    );
    expect(seen.map((request) => request.repository)).toEqual(['ecr-gitlab-refresher-doctor-probe', 'ecr-gitlab-refresher-doctor-probe', 'team/app']);
    const pull = Object.fromEntries(checks.filter((c) => c.check === 'pull').map((c) => [c.subject, c]));
    expect(pull['own@eu-west-1']).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^ecr:BatchGetImage in 999999999999 .* is allowed/) });
    expect(pull['other@eu-west-1']).toMatchObject({
      status: 'ok',
      detail: 'not verified: repository does not exist; list an existing repository in registries[].repositories of "other" so doctor can probe it',
    });
    expect(pull['listed@eu-west-1']).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^not verified: .*registries\[\]\.repositories of "listed"/) });
    // A healthy config exits 0: nothing here is a warning.
    expect(checks.filter((c) => c.status !== 'ok' && c.check !== 'gitlab-token')).toEqual([]);
  });
});

describe('Function: runDoctor (mint)', () => {
  it("names the hosts refresh writes (the configured accounts'), not only the minting identity's", async () => {
    const checks = await runDoctor(
      config,
      ports(() => ({ outcome: 'allowed', detail: 'allowed' })),
    );
    expect(checks.filter((c) => c.check === 'mint')).toEqual([
      {
        check: 'mint',
        subject: 'own,other,listed@eu-west-1',
        status: 'ok',
        detail:
          'refresh writes 999999999999.dkr.ecr.eu-west-1.amazonaws.com, 333333333333.dkr.ecr.eu-west-1.amazonaws.com, 444444444444.dkr.ecr.eu-west-1.amazonaws.com with the token minted for 999999999999.dkr.ecr.eu-west-1.amazonaws.com (one regional token serves every registry of its region the minting identity may pull from)',
      },
    ]);
  });

  it('reports a failed mint once, with its fix, and runs no pull probe for its registries', async () => {
    const minter = new FakeMinter();
    minter.failRegions.add('eu-west-1');
    const probed: PullProbe[] = [];
    const twoRegions = aConfig({ registries: [{ name: 'own', regions: ['eu-west-1', 'us-east-1'] }] });
    const checks = await runDoctor(
      twoRegions,
      ports((request) => {
        probed.push(request);
        return { outcome: 'denied', detail: 'AccessDeniedException' };
      }, minter),
    );
    expect(checks.filter((c) => c.subject === 'own@eu-west-1')).toEqual([
      {
        check: 'mint',
        subject: 'own@eu-west-1',
        status: 'fail',
        detail: 'AccessDeniedException: not authorized in eu-west-1; the pull check of own@eu-west-1 waits for this',
        fix: expect.stringContaining('grant ecr:GetAuthorizationToken'),
      },
    ]);
    // The region that minted is still probed, and its refusal reported.
    expect(probed.map((request) => request.region)).toEqual(['us-east-1']);
    expect(checks.find((c) => c.check === 'pull' && c.subject === 'own@us-east-1')?.status).toBe('fail');
  });
});

describe('doctor: what a token rotation left in the token secret', () => {
  const NOW = Date.parse('2026-11-29T12:00:00Z');
  const rotationCheck = async (state: { lockedAt?: number; unknownSince?: number }) => {
    const config = aConfig({ gitlab: { url: 'https://gitlab.example.com', tokenSecretId: 'ops/gitlab-token' } });
    const checks = await runDoctor(config, {
      ...ports(() => ({ outcome: 'allowed', detail: 'allowed' })),
      readTokenSecret: async () => 'glpat-doctor-unit-token',
      tokenRotationState: async () => ({ version: 'v', changed: false, ...state }),
      now: () => NOW,
    });
    return checks.find((check) => check.check === 'gitlab-token-rotation');
  };

  it('fails an unknown outcome with the fix, and is ok without markers or with a running rotation', async () => {
    expect(await rotationCheck({ unknownSince: NOW - 3_600_000 })).toMatchObject({
      status: 'fail',
      subject: 'ops/gitlab-token',
      detail: expect.stringContaining('a rotation at 2026-11-29T11:00:00.000Z got no answer'),
      fix: expect.stringContaining('store it in ops/gitlab-token'),
    });
    expect(await rotationCheck({})).toMatchObject({ status: 'ok', detail: 'no rotation running or left unfinished' });
    expect(await rotationCheck({ lockedAt: NOW - 60_000 })).toMatchObject({ status: 'ok', detail: 'a rotation has been running since 2026-11-29T11:59:00.000Z' });
  });

  it('warns about a lock older than any Lambda run: its run died', async () => {
    expect(await rotationCheck({ lockedAt: NOW - 3_600_000 })).toMatchObject({ status: 'warn', detail: expect.stringContaining('never finished') });
  });
});
