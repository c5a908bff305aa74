import { BatchGetImageCommand, ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { ECRPUBLICClient, GetAuthorizationTokenCommand as GetPublicAuthorizationTokenCommand } from '@aws-sdk/client-ecr-public';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SdkAwsInspector } from '../../src/adapters/aws/aws-inspector.js';
import { decodeToken, EcrTokenMinter } from '../../src/adapters/aws/ecr-token-minter.js';
import { RoleCredentials } from '../../src/adapters/aws/role-credentials.js';
import { AwsCallError } from '../../src/errors.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');
const ecrPublic = mockClient(ECRPUBLICClient);
const ecr = mockClient(ECRClient);

afterEach(() => {
  ecrPublic.reset();
  ecr.reset();
});

describe('Class: EcrTokenMinter', () => {
  describe('Method: mint (ECR Public)', () => {
    it('returns public.ecr.aws with the decoded credentials and the real expiry', async () => {
      const expiresAt = new Date('2026-11-22T18:00:00Z');
      ecrPublic.on(GetPublicAuthorizationTokenCommand).resolves({ authorizationData: { authorizationToken: b64('AWS:public-secret'), expiresAt } });
      const token = await new EcrTokenMinter().mint({ kind: 'public' });
      expect(token).toEqual({ host: 'public.ecr.aws', username: 'AWS', password: 'public-secret', expiresAt });
      expect(ecrPublic.commandCalls(GetPublicAuthorizationTokenCommand)).toHaveLength(1);
    });

    it('names the two permissions ECR Public needs when it is refused', async () => {
      ecrPublic.on(GetPublicAuthorizationTokenCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
      await expect(new EcrTokenMinter().mint({ kind: 'public' })).rejects.toThrowError(/ecr-public:GetAuthorizationToken and sts:GetServiceBearerToken/);
    });
  });

  describe('Method: mint (private)', () => {
    it('takes the host from proxyEndpoint, even outside the usual partition', async () => {
      const expiresAt = new Date('2026-11-22T18:00:00Z');
      ecr.on(GetAuthorizationTokenCommand).resolves({
        authorizationData: [{ authorizationToken: b64('AWS:cn-secret'), proxyEndpoint: 'https://111111111111.dkr.ecr.cn-north-1.amazonaws.com.cn', expiresAt }],
      });
      const token = await new EcrTokenMinter().mint({ kind: 'private', region: 'cn-north-1' });
      expect(token).toEqual({ host: '111111111111.dkr.ecr.cn-north-1.amazonaws.com.cn', username: 'AWS', password: 'cn-secret', expiresAt });
      // registryIds is deprecated: one call per region, never scoped to accounts.
      expect(ecr.commandCalls(GetAuthorizationTokenCommand)[0]?.args[0].input).toEqual({});
    });

    it('wraps SDK errors into a message with the region and nothing from the request', async () => {
      const sdkError = Object.assign(new Error('The security token included in the request is invalid'), {
        name: 'UnrecognizedClientException',
        $metadata: { httpStatusCode: 403 },
      });
      ecr.on(GetAuthorizationTokenCommand).rejects(sdkError);
      const error = await new EcrTokenMinter().mint({ kind: 'private', region: 'eu-west-1' }).catch((caught) => caught);
      expect(error).toBeInstanceOf(AwsCallError);
      expect(error.message).toBe('ecr:GetAuthorizationToken in eu-west-1: UnrecognizedClientException: The security token included in the request is invalid');
      expect(error.cause).toBeUndefined();
    });
  });
});

describe('Function: decodeToken', () => {
  it.each([['AWS:pw', { username: 'AWS', password: 'pw' }]])('decodes %s', (raw, expected) => {
    expect(decodeToken(b64(raw), 'x')).toEqual(expected);
  });

  it.each(['no-colon', 'a:b:c', ':pw', 'AWS:'])('refuses "%s" without guessing', (raw) => {
    expect(() => decodeToken(b64(raw), 'ECR us-east-1')).toThrowError('ECR us-east-1: unexpected authorization token format');
  });

  it('refuses a missing token', () => {
    expect(() => decodeToken(undefined, 'x')).toThrowError(AwsCallError);
  });
});

describe('Method: SdkAwsInspector.probePull (refused)', () => {
  it('says denied, with the action, when ECR refuses the pull', async () => {
    ecr
      .on(BatchGetImageCommand)
      .rejects(Object.assign(new Error('User: arn:aws:sts::1:assumed-role/refresh is not authorized to perform: ecr:BatchGetImage'), { name: 'AccessDeniedException' }));
    const result = await new SdkAwsInspector(new RoleCredentials()).probePull({ region: 'eu-west-1', accountId: '333333333333', repository: 'team/app' });
    expect(result).toMatchObject({ outcome: 'denied', detail: expect.stringMatching(/team\/app in 333333333333 \(eu-west-1\).*not authorized to perform: ecr:BatchGetImage/) });
    expect(ecr.commandCalls(BatchGetImageCommand)[0]?.args[0].input).toMatchObject({
      registryId: '333333333333',
      repositoryName: 'team/app',
      imageIds: [{ imageTag: 'ecr-gitlab-refresher-doctor-probe' }],
    });
  });
});
