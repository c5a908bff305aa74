import { describe, expect, it } from 'vitest';
import { type DoctorPorts, runDoctor } from '../../src/core/doctor.js';
import type { PullProbe, PullProbeResult } from '../../src/core/ports.js';
import { aConfig, FakeMinter } from '../support/builders.js';

/** Ports where AWS answers as told and GitLab is unreachable, so only the AWS checks run. */
function ports(probe: (request: PullProbe) => PullProbeResult): DoctorPorts {
  const unreachable = async (): Promise<never> => {
    throw new Error('GitLab unreachable');
  };
  return {
    aws: {
      callerIdentity: async () => ({ account: '999999999999', arn: 'arn:aws:sts::999999999999:assumed-role/ops/me' }),
      secretExists: async () => true,
      assumeRole: async () => {},
      probePull: async (request) => probe(request),
      oidcProvider: unreachable,
      profileRoles: unreachable,
      secretValue: unreachable,
    },
    minter: new FakeMinter(),
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

  it('probes a listed repository (not a wildcard), and trusts a missing repository only in the own account', async () => {
    const seen: PullProbe[] = [];
    const checks = await runDoctor(
      config,
      ports((request) => {
        seen.push(request);
        return { outcome: 'unknown', detail: 'repository does not exist' };
      }),
    );
    expect(seen.map((request) => request.repository)).toEqual(['ecr-gitlab-refresher-doctor-probe', 'ecr-gitlab-refresher-doctor-probe', 'team/app']);
    const status = Object.fromEntries(checks.filter((c) => c.check === 'pull').map((c) => [c.subject, c.status]));
    expect(status).toEqual({ 'own@eu-west-1': 'ok', 'other@eu-west-1': 'warn', 'listed@eu-west-1': 'warn' });
  });
});
