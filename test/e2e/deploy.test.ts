import { CloudFormationClient, DescribeStacksCommand, ListStackResourcesCommand, type StackResourceSummary } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, GetDashboardCommand } from '@aws-sdk/client-cloudwatch';
import { GetFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MotoServer, motoClientConfig, motoEnv, startMoto } from '../support/moto.js';
import { runServerless } from '../support/serverless.js';

const STACK = 'ecr-gitlab-refresher-dev';
/** Resource types moto's CloudFormation skips (it says so in its log); the template tests cover them. */
const NOT_MODELLED_BY_MOTO = new Set(['AWS::CloudWatch::Alarm', 'AWS::Lambda::Url', 'AWS::Lambda::EventInvokeConfig', 'AWS::S3::BucketPolicy']);

/**
 * `serverless deploy` for real, into moto's CloudFormation: the same commands a user runs (README: "Try a
 * deploy without an AWS account"), with only AWS_ENDPOINT_URL pointing elsewhere.
 */
describe('serverless deploy against moto', () => {
  let moto: MotoServer;
  let env: Record<string, string>;
  let cloudformation: CloudFormationClient;

  const deploy = (...args: string[]) => runServerless(['deploy', '--stage', 'dev', ...args], env);
  const stack = async () => (await cloudformation.send(new DescribeStacksCommand({ StackName: STACK }))).Stacks?.[0];
  const resources = async (): Promise<StackResourceSummary[]> => (await cloudformation.send(new ListStackResourcesCommand({ StackName: STACK }))).StackResourceSummaries ?? [];
  const physicalId = async (logicalId: string) => (await resources()).find((resource) => resource.LogicalResourceId === logicalId)?.PhysicalResourceId;

  beforeAll(async () => {
    moto = await startMoto();
    env = { ...motoEnv(moto.url), SLS_TELEMETRY_DISABLED: '1' };
    cloudformation = new CloudFormationClient(motoClientConfig(moto.url));
  });
  afterAll(() => moto?.stop());

  it('deploys the stack: functions, schedule, topic and its key, helper bucket, dashboard', async () => {
    const run = await deploy();
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain(`Service deployed to stack ${STACK}`);
    expect((await stack())?.StackStatus).toMatch(/^(CREATE|UPDATE)_COMPLETE$/);
    const modelled = (await resources()).filter((resource) => resource.ResourceType && !NOT_MODELLED_BY_MOTO.has(resource.ResourceType));
    expect(
      modelled.every((resource) => resource.ResourceStatus?.endsWith('_COMPLETE')),
      JSON.stringify(modelled),
    ).toBe(true);
    expect(modelled.map((resource) => resource.LogicalResourceId)).toEqual(
      expect.arrayContaining([
        'RefreshLambdaFunction',
        'HelperUrlLambdaFunction',
        'RefreshEventsRuleSchedule1',
        'RefreshRole',
        'HelperUrlRole',
        'AlertTopic',
        'AlertTopicKey',
        'HelperBucket',
        'Dashboard',
        'RefreshLogGroup',
      ]),
    );
    const lambda = new LambdaClient(motoClientConfig(moto.url));
    const refresh = await lambda.send(new GetFunctionCommand({ FunctionName: `${STACK}-refresh` }));
    // moto's Lambda keeps x86_64 whatever the template says; the template test checks arm64.
    expect(refresh.Configuration).toMatchObject({ Runtime: 'nodejs22.x', Timeout: 600 });
    expect(refresh.Configuration?.Environment?.Variables?.STAGE).toBe('dev');
    const dashboard = await new CloudWatchClient(motoClientConfig(moto.url)).send(new GetDashboardCommand({ DashboardName: STACK }));
    expect(JSON.parse(dashboard.DashboardBody ?? '{}').widgets.length).toBeGreaterThanOrEqual(6);
  }, 180_000);

  it('deploys again with a changed parameter (UPDATE_COMPLETE), and serverless info names the stack', async () => {
    const run = await deploy('--param=logRetentionDays=14');
    expect(run.code, run.output).toBe(0);
    expect((await stack())?.StackStatus).toBe('UPDATE_COMPLETE');
    const info = await runServerless(['info', '--stage', 'dev'], env);
    expect(info.code, info.output).toBe(0);
    expect(info.output).toMatch(/service: ecr-gitlab-refresher\s+stage: dev\s+region: us-east-1\s+stack: ecr-gitlab-refresher-dev/);
  }, 180_000);

  it('removes the stack, and the helper bucket (retained on purpose) outlives it', async () => {
    const bucket = await physicalId('HelperBucket');
    expect(bucket).toBeTruthy();
    const run = await runServerless(['remove', '--stage', 'dev'], env);
    expect(run.code, run.output).toBe(0);
    const gone = await stack().then(
      (found) => found?.StackStatus === 'DELETE_COMPLETE',
      (error: Error) => /does not exist/.test(error.message),
    );
    expect(gone).toBe(true);
    await expect(new S3Client({ ...motoClientConfig(moto.url), forcePathStyle: true }).send(new HeadBucketCommand({ Bucket: bucket }))).resolves.toBeDefined();
  }, 180_000);
});
