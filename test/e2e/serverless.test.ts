// biome-ignore-all lint/suspicious/noExplicitAny: CloudFormation templates are untyped JSON
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand, ListStackResourcesCommand, type StackResourceSummary } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, GetDashboardCommand } from '@aws-sdk/client-cloudwatch';
import { GetFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type MotoServer, motoClientConfig, motoEnv, startMoto } from '../support/moto.js';
import { type Sandbox, startSandbox } from '../support/sandbox.js';
import { runServerless } from '../support/serverless.js';
import { hasBinary } from '../support/system-tools.js';

type Resource = { Type: string; Condition?: string; DeletionPolicy?: string; UpdateReplacePolicy?: string; Properties: Record<string, any> };
type Statement = { role: string; Effect: string; Action: string | string[]; Resource: any; Condition?: any };

const TOPIC = { Ref: 'AlertTopic' };
const HOUR = 3600;

/** A config that uses every option the stack derives something from. */
const MAXIMAL = {
  gitlab: { url: 'https://g.example.com', tokenSecretId: 'gl/token', rotateToken: { daysBefore: 14 } },
  registries: [
    { name: 'own', regions: ['eu-west-1'], repositories: ['team/app', 'team/web-*'] },
    { name: 'build', accountId: '333333333333', regions: ['eu-west-1', 'us-east-1'] },
    { name: 'shared', accountId: '222222222222', regions: ['eu-west-1'], roleArn: 'arn:aws:iam::222222222222:role/ecr-pull', externalId: 'ext-1' },
    { name: 'public', public: true },
  ],
  secrets: { prefix: 'ecr/', kmsKeyId: 'alias/ecr', tags: { team: 'platform' } },
  targets: [{ group: 'g', registries: ['own', 'shared', 'public'], variables: [{ name: 'ECR_PUSH', variableType: 'file', registries: ['build'], access: 'push' }] }],
  helper: { bucket: 'existing-helpers', versions: ['0.12.0'], defaultVersion: '0.12.0' },
};
const MAXIMAL_PARAMS = ['--param=alertTopicArn=arn:aws:sns:us-east-1:111111111111:ops', '--param=reservedConcurrency=none', '--param=schedule=rate(4 hours)'];

async function packageTemplate(args: string[], config?: unknown): Promise<{ dir: string; template: any; output: string; code: number | null }> {
  const dir = mkdtempSync(join(tmpdir(), 'sls-package-'));
  const extra: string[] = [];
  if (config !== undefined) {
    writeFileSync(join(dir, 'config.yml'), stringify(config));
    extra.push(`--param=config=${join(dir, 'config.yml')}`);
  }
  const run = await runServerless(['package', '--package', join(dir, 'out'), ...args, ...extra]);
  const template = run.code === 0 ? JSON.parse(readFileSync(join(dir, 'out', 'cloudformation-template-update-stack.json'), 'utf8')) : undefined;
  return { dir, template, output: run.output, code: run.code };
}

function statementsOf(template: any): Statement[] {
  return Object.entries(template.Resources as Record<string, Resource>)
    .filter(([, resource]) => resource.Type === 'AWS::IAM::Role')
    .flatMap(([role, resource]) =>
      (resource.Properties.Policies as Array<{ PolicyDocument: { Statement: Statement[] } }>).flatMap((policy) =>
        policy.PolicyDocument.Statement.map((statement) => ({ ...statement, role })),
      ),
    );
}

const byAction = (statements: Statement[], action: string) => statements.filter((statement) => [statement.Action].flat().includes(action));

describe('serverless (osls) package', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox();
  });
  afterAll(() => sandbox.stop());

  describe('the packaged CloudFormation template (config/dev.yml, default parameters)', () => {
    let resources: Record<string, Resource>;
    let template: any;
    let dir: string;
    const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);

    beforeAll(async () => {
      const packaged = await packageTemplate(['--stage', 'dev']);
      expect(packaged.code, packaged.output).toBe(0);
      ({ template, dir } = packaged);
      resources = template.Resources;
    });

    it('holds no CloudFormation conditions: what was packaged is what deploys', () => {
      expect(template.Conditions).toBeUndefined();
      expect(Object.values(resources).filter((resource) => resource.Condition)).toEqual([]);
      expect(JSON.stringify(template)).not.toContain('Fn::If');
    });

    it('bundles the validated config into the code, not the environment', () => {
      const bundle = execFileSync('unzip', ['-p', join(dir, 'out', 'refresh.zip')], { maxBuffer: 64 * 1024 * 1024 }).toString('utf8');
      expect(bundle).toContain('gitlab.example.com');
      expect(JSON.stringify(resources.RefreshLambdaFunction?.Properties.Environment)).not.toContain('gitlab.example.com');
      expect(resources.RefreshLambdaFunction?.Properties.Environment.Variables.STAGE).toBe('dev');
    });

    it('schedules the refresh every 6 hours, arm64, nodejs22.x, one at a time; helper-url reserves nothing', () => {
      const [[, rule]] = ofType('AWS::Events::Rule') as [[string, Resource]];
      expect(rule.Properties.ScheduleExpression).toBe('rate(6 hours)');
      expect(resources.RefreshLambdaFunction?.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        ReservedConcurrentExecutions: 1,
        MemorySize: 512,
        Timeout: 600,
      });
      expect(resources.HelperUrlLambdaFunction?.Properties.ReservedConcurrentExecutions).toBeUndefined();
    });

    it('limits async retries and sends failed runs to the alert topic', () => {
      expect(resources.RefreshLambdaEvConf?.Properties).toMatchObject({
        MaximumRetryAttempts: 1,
        MaximumEventAgeInSeconds: 3600,
        DestinationConfig: { OnFailure: { Destination: TOPIC } },
      });
    });

    it('encrypts the alert topic with its own key, which CloudWatch alarms may use (aws/sns would silence them)', () => {
      expect(resources.AlertTopic?.Properties.KmsMasterKeyId).toEqual({ Ref: 'AlertTopicKey' });
      expect(JSON.stringify(template)).not.toContain('alias/aws/sns');
      const key = resources.AlertTopicKey?.Properties;
      expect(key?.EnableKeyRotation).toBe(true);
      expect(key?.KeyPolicy.Statement).toEqual(
        expect.arrayContaining([expect.objectContaining({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] })]),
      );
      // Lambda publishes failed runs with the function's role: it needs the key too.
      expect(byAction(statementsOf(template), 'kms:GenerateDataKey*')[0]).toMatchObject({ role: 'RefreshRole', Resource: { 'Fn::GetAtt': ['AlertTopicKey', 'Arn'] } });
    });

    it('alarms fire in time: within 9 hours of the last successful refresh, also when runs stop altogether', () => {
      const alarms = Object.fromEntries(ofType('AWS::CloudWatch::Alarm').map(([name, alarm]) => [name, alarm.Properties]));
      expect(Object.keys(alarms).sort()).toEqual([
        'GitLabTokenExpiryAlarm',
        'GitLabTokenRotationUnknownAlarm',
        'RefreshErrorsAlarm',
        'RefreshStalledAlarm',
        'TargetsFailedAlarm',
        'TokenExpiryAlarm',
      ]);
      for (const alarm of Object.values(alarms)) expect(alarm.AlarmActions).toEqual([TOPIC]);
      const interval = 6 * HOUR;
      // A run reporting less than interval + 3 h alarms at once: the next run would leave under 3 h.
      expect(alarms.TokenExpiryAlarm).toMatchObject({
        MetricName: 'SecondsUntilEarliestExpiry',
        Statistic: 'Minimum',
        EvaluationPeriods: 1,
        Threshold: interval + 3 * HOUR,
        ComparisonOperator: 'LessThanThreshold',
      });
      // A healthy run reports about 12 h, well above the threshold.
      expect(alarms.TokenExpiryAlarm?.Threshold).toBeLessThan(12 * HOUR - HOUR);
      // No report for `window` hourly periods (missing data counts): worst case window + 1 hours after the last run.
      const stalled = alarms.RefreshStalledAlarm as Record<string, any>;
      expect(stalled).toMatchObject({
        MetricName: 'SecondsUntilEarliestExpiry',
        Statistic: 'SampleCount',
        Period: HOUR,
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
      });
      expect(stalled.DatapointsToAlarm).toBe(stalled.EvaluationPeriods);
      expect(stalled.EvaluationPeriods * HOUR).toBeGreaterThan(interval);
      expect((stalled.EvaluationPeriods + 1) * HOUR).toBeLessThanOrEqual(9 * HOUR);
      expect(alarms.GitLabTokenExpiryAlarm).toMatchObject({ MetricName: 'SecondsUntilGitLabTokenExpiry', Threshold: 14 * 86400, TreatMissingData: 'notBreaching' });
      // A rotate without an answer may have revoked the token: one such run is enough to page.
      expect(alarms.GitLabTokenRotationUnknownAlarm).toMatchObject({
        MetricName: 'GitLabTokenRotationUnknown',
        Statistic: 'Maximum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
      // The stage is a dimension: a dev stack never feeds prod's alarms.
      for (const name of ['TokenExpiryAlarm', 'RefreshStalledAlarm', 'GitLabTokenExpiryAlarm', 'GitLabTokenRotationUnknownAlarm', 'TargetsFailedAlarm']) {
        expect(alarms[name]?.Dimensions).toEqual([
          { Name: 'Service', Value: 'ecr-gitlab-refresher' },
          { Name: 'Stage', Value: 'dev' },
        ]);
      }
    });

    it('has a dashboard for the run, the expiry against its alarm, GitLab traffic and helper-url, named in the outputs', () => {
      const dashboard = resources.Dashboard?.Properties;
      expect(dashboard?.DashboardName).toBe('ecr-gitlab-refresher-dev');
      const body = JSON.parse(dashboard?.DashboardBody['Fn::Sub']);
      const titles = body.widgets.map((widget: { properties: { title: string } }) => widget.properties.title);
      expect(titles).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^Targets per run/),
          'Hours until the earliest credential GitLab holds expires',
          'Run duration (ms)',
          'GitLab requests, retries and 429s per run',
          'helper-url requests by status',
        ]),
      );
      const expiry = body.widgets.find((widget: { properties: { title: string } }) => widget.properties.title.startsWith('Hours until'));
      expect(expiry.properties.annotations.horizontal[0].value).toBe(9);
      expect(JSON.stringify(body)).toContain('"Stage","dev"');
      expect(template.Outputs.DashboardName.Value).toBe('ecr-gitlab-refresher-dev');
    });

    it('keeps logs for 30 days; the deployment bucket blocks public access and requires TLS', () => {
      for (const [, group] of ofType('AWS::Logs::LogGroup')) expect(group.Properties.RetentionInDays).toBe(30);
      expect(resources.ServerlessDeploymentBucket?.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(resources.ServerlessDeploymentBucketPolicy?.Properties.PolicyDocument.Statement[0]).toMatchObject({
        Effect: 'Deny',
        Condition: { Bool: { 'aws:SecureTransport': false } },
      });
    });

    it('creates a private, encrypted, versioned, TLS-only helper bucket that survives the stack', () => {
      expect(resources.HelperBucket).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
      expect(resources.HelperBucket?.Properties).toMatchObject({
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        VersioningConfiguration: { Status: 'Enabled' },
      });
      expect(resources.HelperBucketPolicy?.Properties.PolicyDocument.Statement[0]).toMatchObject({
        Effect: 'Deny',
        Action: 's3:*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      });
    });

    it('grants least privilege: "*" only for the token actions, pull on the repositories the own role mints for', () => {
      const all = statementsOf(template);
      // The secrets prefix (ecr-gitlab-refresher/) covers the token secret (ecr-gitlab-refresher/gitlab-token):
      // without rotation, writing it is denied outright.
      expect(all.filter((statement) => statement.Effect !== 'Allow')).toEqual([
        {
          role: 'RefreshRole',
          Effect: 'Deny',
          Action: ['secretsmanager:CreateSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage', 'secretsmanager:TagResource'],
          Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:ecr-gitlab-refresher/gitlab-token-??????' },
        },
      ]);
      const statements = all.filter((statement) => statement.Effect === 'Allow');
      expect(statements.length).toBeGreaterThan(5);
      const wildcard = statements.filter((statement) => JSON.stringify(statement.Resource) === '"*"');
      expect(wildcard.map((statement) => [statement.role, statement.Action])).toEqual([
        ['RefreshRole', ['ecr:GetAuthorizationToken']],
        ['RefreshRole', ['ecr-public:GetAuthorizationToken', 'sts:GetServiceBearerToken']],
      ]);
      // prod has no role: the function's own role mints its token, so that role must be allowed to pull.
      expect(byAction(statements, 'ecr:BatchGetImage')[0]?.Resource).toEqual([
        { 'Fn::Sub': 'arn:${AWS::Partition}:ecr:us-east-1:123456789012:repository/*' },
        { 'Fn::Sub': 'arn:${AWS::Partition}:ecr:eu-west-1:123456789012:repository/*' },
      ]);
      expect(byAction(statements, 'ecr:PutImage')).toEqual([]);
      expect(byAction(statements, 'sts:AssumeRole')[0]?.Resource).toEqual(['arn:aws:iam::210987654321:role/ecr-pull']);
      // Reading the token secret only: writing it is for rotation, which dev.yml does not turn on.
      expect(byAction(statements, 'secretsmanager:GetSecretValue').map((statement) => statement.Action)).toEqual([
        ['secretsmanager:CreateSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:GetSecretValue', 'secretsmanager:TagResource'],
        ['secretsmanager:GetSecretValue'],
      ]);
      const helper = statements.filter((statement) => statement.role === 'HelperUrlRole');
      expect(helper.flatMap((statement) => [statement.Action].flat()).sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents', 's3:GetObject', 's3:ListBucket']);
      expect(byAction(helper, 's3:GetObject')[0]?.Resource).toEqual({ 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${HelperBucket}/docker-credential-ecr-login/*' });
      expect(byAction(helper, 's3:ListBucket')[0]).toMatchObject({ Condition: { StringLike: { 's3:prefix': ['docker-credential-ecr-login/*'] } } });
    });
  });

  it('derives the rest from a maximal config: existing topic and bucket, KMS alias, push and pull grants, rotation', async () => {
    const { template, output, code } = await packageTemplate(['--stage', 'prod', ...MAXIMAL_PARAMS], MAXIMAL);
    expect(code, output).toBe(0);
    const statements = statementsOf(template);
    expect(template.Resources.AlertTopic).toBeUndefined();
    expect(template.Resources.AlertTopicKey).toBeUndefined();
    expect(template.Resources.HelperBucket).toBeUndefined();
    expect(template.Resources.TokenExpiryAlarm.Properties.AlarmActions).toEqual(['arn:aws:sns:us-east-1:111111111111:ops']);
    expect(template.Resources.RefreshLambdaFunction.Properties.ReservedConcurrentExecutions).toBeUndefined();
    expect(template.Resources.TokenExpiryAlarm.Properties.Threshold).toBe(4 * HOUR + 3 * HOUR);
    // An IAM statement on an alias ARN grants nothing: the keys behind the alias are allowed instead.
    expect(byAction(statements, 'kms:Encrypt')[0]).toMatchObject({
      Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*' },
      Condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/ecr' } },
    });
    expect(byAction(statements, 'ecr:BatchGetImage')[0]?.Resource).toEqual([
      { 'Fn::Sub': 'arn:${AWS::Partition}:ecr:eu-west-1:${AWS::AccountId}:repository/team/app' },
      { 'Fn::Sub': 'arn:${AWS::Partition}:ecr:eu-west-1:${AWS::AccountId}:repository/team/web-*' },
      { 'Fn::Sub': 'arn:${AWS::Partition}:ecr:eu-west-1:333333333333:repository/*' },
      { 'Fn::Sub': 'arn:${AWS::Partition}:ecr:us-east-1:333333333333:repository/*' },
    ]);
    // Push only where a push variable carries the registry; the role-based registry gets its rights from its role.
    expect(byAction(statements, 'ecr:PutImage')[0]?.Resource).toEqual([
      { 'Fn::Sub': 'arn:${AWS::Partition}:ecr:eu-west-1:333333333333:repository/*' },
      { 'Fn::Sub': 'arn:${AWS::Partition}:ecr:us-east-1:333333333333:repository/*' },
    ]);
    expect(byAction(statements, 'secretsmanager:PutSecretValue').map((statement) => statement.Resource)).toContainEqual({
      'Fn::Sub': 'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:gl/token-??????',
    });
    expect(statements.filter((statement) => statement.Effect === 'Deny')).toEqual([]);
    expect(byAction(statements, 's3:GetObject')[0]?.Resource).toEqual({ 'Fn::Sub': 'arn:${AWS::Partition}:s3:::existing-helpers/docker-credential-ecr-login/*' });
  });

  it('packages a config without a helper section: helper-url may only write its logs', async () => {
    const { template, output, code } = await packageTemplate(['--stage', 'x'], {
      gitlab: { url: 'https://g.example.com' },
      registries: [{ name: 'p', regions: ['eu-west-1'] }],
      targets: [{ group: 'g' }],
    });
    expect(code, output).toBe(0);
    const helper = statementsOf(template).filter((statement) => statement.role === 'HelperUrlRole');
    expect(helper.flatMap((statement) => [statement.Action].flat())).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    expect(JSON.stringify(template.Resources.RefreshRole.Properties.Policies)).not.toContain('secretsmanager');
  });

  it('refuses a schedule that leaves the expiry alarm no time, before anything is uploaded', async () => {
    const { output, code } = await packageTemplate(['--stage', 'dev', '--param=schedule=rate(8 hours)']);
    expect(code).not.toBe(0);
    expect(output).toContain('schedule "rate(8 hours)" is too slow');
  });

  it('fails packaging with the field path when the config is invalid', async () => {
    const { output, code } = await packageTemplate(['--stage', 'dev'], {
      gitlab: { url: 'https://g.example.com' },
      registries: [{ name: 'p', accountId: '1', regions: ['us-east-1'] }],
      targets: [{ group: 'g' }],
    });
    expect(code).not.toBe(0);
    expect(output).toContain('registries[0].accountId: expected a 12-digit account id');
  });

  it.skipIf(!hasBinary('cfn-lint'))('passes cfn-lint with no errors and no warnings, for config/dev.yml and for the maximal config', async () => {
    const dev = await packageTemplate(['--stage', 'dev']);
    const maximal = await packageTemplate(['--stage', 'prod', ...MAXIMAL_PARAMS], MAXIMAL);
    for (const { dir } of [dev, maximal]) {
      const files = ['cloudformation-template-create-stack.json', 'cloudformation-template-update-stack.json'].map((name) => join(dir, 'out', name));
      const lint = spawnSync('cfn-lint', files, { encoding: 'utf8' });
      expect(lint.stdout + lint.stderr, 'cfn-lint findings').toBe('');
      expect(lint.status).toBe(0);
    }
  });

  it('invokes the bundled handler locally with the dry-run event', async () => {
    const run = await runServerless(['invoke', 'local', '-f', 'refresh', '--path', 'events/dry-run.json', `--param=config=${sandbox.configPath}`], sandbox.env);
    expect(run.code, run.output).toBe(0);
    const summary = JSON.parse(run.output.slice(run.output.indexOf('{\n')));
    expect(summary).toMatchObject({ ok: true, dryRun: true });
    expect(summary.targets.map((target: { status: string }) => target.status)).toEqual(['would-update', 'would-create', 'would-update']);
    expect(sandbox.gitlab.requests.filter((request) => request.method !== 'GET')).toEqual([]);
  });
});

// In this file, not its own: serverless-esbuild builds in the project's .esbuild directory, so two
// serverless commands must never run at once.
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
