// biome-ignore-all lint/suspicious/noExplicitAny: CloudFormation templates are untyped JSON
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand, ListStackResourcesCommand, type StackResourceSummary } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, GetDashboardCommand } from '@aws-sdk/client-cloudwatch';
import { IAMClient } from '@aws-sdk/client-iam';
import { GetFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { SdkAwsInspector } from '../../src/adapters/aws/aws-inspector.js';
import { RoleCredentials } from '../../src/adapters/aws/role-credentials.js';
import { validateConfig } from '../../src/config/parse.js';
import { trustProblems } from '../../src/core/inspect/doctor-profiles.js';
import { oidcSettings, profileLogicalId, trustConditions } from '../../src/domain/profile-trust.js';
import { type MotoServer, motoClientConfig, motoEnv, startMoto } from '../support/moto.js';
import { MOTO_ACCOUNT, type Sandbox, startSandbox } from '../support/sandbox.js';
import { ROOT, runServerless } from '../support/serverless.js';
import { itWithBinaries } from '../support/system-tools.js';
import { createTestCa, type TestCa } from '../support/test-pki.js';

type Resource = { Type: string; Condition?: string; DeletionPolicy?: string; UpdateReplacePolicy?: string; Properties: Record<string, any> };
type Statement = { role: string; Effect: string; Action: string | string[]; Resource: any; Condition?: any };

const TOPIC = { Ref: 'AlertTopic' };
const HOUR = 3600;

/** A config that uses every option the stack derives something from. */
const MAXIMAL = {
  gitlab: {
    url: 'https://g.example.com/gitlab',
    tokenSecretId: 'gl/token',
    rotateToken: { daysBefore: 14 },
    caCertificatesFile: 'internal-ca.pem',
    caCertificatesSecretId: 'gl/internal-ca',
  },
  registries: [
    { name: 'own', regions: ['eu-west-1'], repositories: ['team/app', 'team/web-*'] },
    { name: 'build', accountId: '333333333333', regions: ['eu-west-1', 'us-east-1'] },
    { name: 'shared', accountId: '222222222222', regions: ['eu-west-1'], roleArn: 'arn:aws:iam::222222222222:role/ecr-pull', externalId: 'ext-1' },
    { name: 'public', public: true },
  ],
  secrets: { prefix: 'ecr/', kmsKeyId: 'alias/ecr', tags: { team: 'platform' } },
  targets: [{ group: 'g', registries: ['own', 'shared', 'public'], variables: [{ name: 'ECR_PUSH', variableType: 'file', registries: ['build'], access: 'push' }] }],
  helper: { bucket: 'existing-helpers', versions: ['0.12.0'], defaultVersion: '0.12.0' },
  // Both modes at once: pull-time profiles beside the GitLab targets (issuer from gitlab.url).
  profiles: [
    { name: 'prod', registries: ['own', 'public'], projects: ['g/*'], refs: ['branch:main', 'tag:v*'] },
    { name: 'build-tools', registries: ['build'], projects: ['g/tools/ci'] },
  ],
};
const SUBNETS = ['subnet-0a1b2c3d4e5f60718', 'subnet-0f1e2d3c4b5a69788'];
const SECURITY_GROUP = 'sg-0123456789abcdef0';
const VPC_PARAMS = [`--param=vpcSubnetIds=${SUBNETS.join(',')}`, `--param=vpcSecurityGroupIds=${SECURITY_GROUP}`];
const MAXIMAL_PARAMS = ['--param=alertTopicArn=arn:aws:sns:us-east-1:111111111111:ops', '--param=reservedConcurrency=none', '--param=schedule=rate(4 hours)', ...VPC_PARAMS];
/** The internal CA of the maximal config (gitlab.caCertificatesFile), made for this run. */
let internalCa: TestCa | undefined;
const maximalFiles = (): Record<string, string> => {
  internalCa ??= createTestCa('Packaged Internal CA');
  return { 'internal-ca.pem': internalCa.caPem };
};
const packageMaximal = () => packageTemplate(['--stage', 'prod', ...MAXIMAL_PARAMS], MAXIMAL, maximalFiles());

/** Pull-time mode only: no gitlab section, no targets, an existing OIDC provider (its own profile name: another stage's secret is another secret). */
const PROFILES_ONLY = {
  registries: [{ name: 'prod', accountId: '123456789012', regions: ['us-east-1'] }],
  profiles: [{ name: 'standalone', registries: ['prod'], projects: ['platform/*'] }],
  oidc: { issuer: 'https://gitlab.example.com', providerArn: 'arn:aws:iam::123456789012:oidc-provider/gitlab.example.com' },
};

type Packaged = { dir: string; template: any; output: string; code: number | null };
const packagedOnce = new Map<string, Promise<Packaged>>();

/** `serverless package` once per (arguments, config, files): the template tests and cfn-lint read the same output. */
function packageTemplate(args: string[], config?: unknown, files: Record<string, string> = {}): Promise<Packaged> {
  const key = JSON.stringify([args, config, files]);
  const packaged = packagedOnce.get(key) ?? packageFresh(args, config, files);
  packagedOnce.set(key, packaged);
  return packaged;
}

async function packageFresh(args: string[], config: unknown, files: Record<string, string>): Promise<Packaged> {
  const dir = mkdtempSync(join(tmpdir(), 'sls-package-'));
  const extra: string[] = [];
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
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
      ((resource.Properties.Policies ?? []) as Array<{ PolicyDocument: { Statement: Statement[] } }>).flatMap((policy) =>
        policy.PolicyDocument.Statement.map((statement) => ({ ...statement, role })),
      ),
    );
}

/** Every file below a directory, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

const byAction = (statements: Statement[], action: string) => statements.filter((statement) => [statement.Action].flat().includes(action));

describe('serverless (osls) package', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox();
  });
  afterAll(async () => {
    internalCa?.dispose();
    await sandbox.stop();
  });

  describe('the packaged CloudFormation template (config/dev.yml, default parameters)', () => {
    let resources: Record<string, Resource>;
    let template: any;
    let dir: string;
    const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);

    // A package takes seconds, or minutes on a machine shared with other test runs.
    beforeAll(async () => {
      const packaged = await packageTemplate(['--stage', 'dev']);
      expect(packaged.code, packaged.output).toBe(0);
      ({ template, dir } = packaged);
      resources = template.Resources;
    }, 180_000);

    it('holds no CloudFormation conditions: what was packaged is what deploys', () => {
      expect(template.Conditions).toBeUndefined();
      expect(Object.values(resources).filter((resource) => resource.Condition)).toEqual([]);
      expect(JSON.stringify(template)).not.toContain('Fn::If');
    });

    it('bundles the validated config into the code, not the environment', () => {
      // The shared registry's role ARN in config/dev.yml: the source never holds it, only the config does.
      const onlyInConfig = 'arn:aws:iam::210987654321:role/ecr-pull';
      expect(readFileSync(join(ROOT, 'config/dev.yml'), 'utf8')).toContain(onlyInConfig);
      expect(filesUnder(join(ROOT, 'src')).filter((file) => readFileSync(file, 'utf8').includes('210987654321'))).toEqual([]);
      const bundle = execFileSync('unzip', ['-p', join(dir, 'out', 'refresh.zip')], { maxBuffer: 64 * 1024 * 1024 }).toString('utf8');
      expect(bundle).toContain(onlyInConfig);
      expect(JSON.stringify(resources.RefreshLambdaFunction?.Properties.Environment)).not.toContain('210987654321');
      expect(resources.RefreshLambdaFunction?.Properties.Environment.Variables.STAGE).toBe('dev');
    });

    it('leaves the config loader out of both bundles: no schema library, no YAML parser to parse at a cold start', () => {
      for (const zip of ['refresh.zip', 'helperUrl.zip']) {
        const bundle = execFileSync('unzip', ['-p', join(dir, 'out', zip)], { maxBuffer: 64 * 1024 * 1024 }).toString('utf8');
        expect(bundle, zip).toContain('loadRuntimeConfig');
        expect(bundle, zip).not.toContain('ZodError');
        expect(bundle, zip).not.toContain('YAMLParseError');
      }
    });

    it('puts helper-url behind a Function URL with AWS_IAM auth, and grants nobody a public invoke', () => {
      const urls = ofType('AWS::Lambda::Url');
      expect(urls.map(([name, url]) => [name, url.Properties])).toEqual([
        ['HelperUrlLambdaFunctionUrl', { AuthType: 'AWS_IAM', TargetFunctionArn: { 'Fn::GetAtt': ['HelperUrlLambdaFunction', 'Arn'] } }],
      ]);
      // AuthType NONE would come with a permission for Principal "*" (lambda:InvokeFunctionUrl): there is none.
      const permissions = ofType('AWS::Lambda::Permission').map(([, permission]) => permission.Properties);
      expect(permissions.filter((permission) => permission.Principal === '*' || permission.FunctionUrlAuthType === 'NONE')).toEqual([]);
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
      // Dashboards are account-wide: the region in the name keeps a second region's stack off this one.
      expect(dashboard?.DashboardName).toEqual({ 'Fn::Sub': 'ecr-gitlab-refresher-dev-${AWS::Region}' });
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
      expect(template.Outputs.DashboardName.Value).toEqual({ 'Fn::Sub': 'ecr-gitlab-refresher-dev-${AWS::Region}' });
      expect(template.Outputs.DashboardUrl.Value['Fn::Sub']).toMatch(/#dashboards:name=ecr-gitlab-refresher-dev-\$\{AWS::Region\}$/);
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
        ['secretsmanager:CreateSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret', 'secretsmanager:TagResource'],
        ['secretsmanager:GetSecretValue'],
      ]);
      const helper = statements.filter((statement) => statement.role === 'HelperUrlRole');
      expect(helper.flatMap((statement) => [statement.Action].flat()).sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents', 's3:GetObject', 's3:ListBucket']);
      expect(byAction(helper, 's3:GetObject')[0]?.Resource).toEqual({ 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${HelperBucket}/docker-credential-ecr-login/*' });
      expect(byAction(helper, 's3:ListBucket')[0]).toMatchObject({ Condition: { StringLike: { 's3:prefix': ['docker-credential-ecr-login/*'] } } });
    });
  });

  it('derives the rest from a maximal config: existing topic and bucket, KMS alias, push and pull grants, rotation, VPC, internal CA', async () => {
    const { template, output, code, dir } = await packageMaximal();
    expect(code, output).toBe(0);
    // VPC: on the refresh function only (runners call helperUrl from anywhere), with exactly Lambda's ENI actions.
    expect(template.Resources.RefreshLambdaFunction.Properties.VpcConfig).toEqual({ SubnetIds: SUBNETS, SecurityGroupIds: [SECURITY_GROUP] });
    expect(template.Resources.HelperUrlLambdaFunction.Properties.VpcConfig).toBeUndefined();
    const ec2 = statementsOf(template).filter((statement) => [statement.Action].flat().some((action) => action.startsWith('ec2:')));
    expect(ec2).toEqual([
      {
        role: 'RefreshRole',
        Effect: 'Allow',
        Action: [
          'ec2:CreateNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSubnets',
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ],
        Resource: '*',
      },
    ]);
    // The CA secret is readable, and never writable (the secrets prefix grants writes); the CA file travels inside the code.
    const caSecret = { 'Fn::Sub': 'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:gl/internal-ca-??????' };
    expect(statementsOf(template).filter((statement) => JSON.stringify(statement.Resource).includes('gl/internal-ca'))).toEqual([
      { role: 'RefreshRole', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: caSecret },
      {
        role: 'RefreshRole',
        Effect: 'Deny',
        Action: ['secretsmanager:CreateSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage', 'secretsmanager:TagResource'],
        Resource: caSecret,
      },
    ]);
    const bundle = execFileSync('unzip', ['-p', join(dir, 'out', 'refresh.zip')], { maxBuffer: 64 * 1024 * 1024 }).toString('utf8');
    const caBody = (internalCa as TestCa).caPem.split('\n')[1] as string;
    expect(caBody.length).toBeGreaterThan(20);
    expect(bundle).toContain(caBody);
    expect(JSON.stringify(template.Resources.RefreshLambdaFunction.Properties.Environment)).not.toContain(caBody);
    const statements = statementsOf(template);
    expect(template.Resources.AlertTopic).toBeUndefined();
    expect(template.Resources.AlertTopicKey).toBeUndefined();
    expect(template.Resources.HelperBucket).toBeUndefined();
    expect(template.Resources.TokenExpiryAlarm.Properties.AlarmActions).toEqual(['arn:aws:sns:us-east-1:111111111111:ops']);
    expect(template.Resources.RefreshLambdaFunction.Properties.ReservedConcurrentExecutions).toBeUndefined();
    expect(template.Resources.TokenExpiryAlarm.Properties.Threshold).toBe(4 * HOUR + 3 * HOUR);
    // An IAM statement on an alias ARN grants nothing: the keys behind the alias are allowed instead.
    // Secrets Manager needs GenerateDataKey (new versions) and Decrypt (reads) of the secrets key, never Encrypt.
    expect(byAction(statements, 'kms:GenerateDataKey')).toEqual([
      {
        role: 'RefreshRole',
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*' },
        Condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/ecr' } },
      },
    ]);
    expect(byAction(statements, 'kms:Encrypt')).toEqual([]);
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
    // Rotation is on, so the token secret is writable: the only Deny keeps the CA secret read-only.
    expect(statements.filter((statement) => statement.Effect === 'Deny').map((statement) => statement.Resource)).toEqual([caSecret]);
    expect(byAction(statements, 's3:GetObject')[0]?.Resource).toEqual({ 'Fn::Sub': 'arn:${AWS::Partition}:s3:::existing-helpers/docker-credential-ecr-login/*' });
    expectProfileResources(template);
  }, 180_000);

  /**
   * Per-profile roles, read policies and outputs: trust on the stack-made OIDC provider, one secret read
   * through Secrets Manager only. GitLab lives under /gitlab here, and so does its ID tokens' issuer.
   */
  function expectProfileResources(template: any): void {
    const resources = template.Resources;
    expect(resources.OidcProvider).toEqual({
      Type: 'AWS::IAM::OIDCProvider',
      Properties: { Url: 'https://g.example.com/gitlab', ClientIdList: ['sts.amazonaws.com'], Tags: [{ Key: 'managed-by', Value: 'ecr-gitlab-refresher' }] },
    });
    const role = resources.ProfileProdRole;
    expect([role.DependsOn].flat()).toEqual(['OidcProvider']);
    expect(role.Properties.Path).toBe('/ecr-gitlab-refresher/');
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { Federated: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:oidc-provider/g.example.com/gitlab' } },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: { 'g.example.com/gitlab:aud': 'sts.amazonaws.com' },
          StringLike: { 'g.example.com/gitlab:sub': ['project_path:g/*:ref_type:branch:ref:main', 'project_path:g/*:ref_type:tag:ref:v*'] },
        },
      },
    ]);
    expect(role.Properties.ManagedPolicyArns).toEqual([{ Ref: 'ProfileProdReadPolicy' }]);
    expect(resources.ProfileProdReadPolicy.Properties.PolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: ['secretsmanager:GetSecretValue'],
        Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:ecr/profiles/prod-??????' },
      },
      {
        Effect: 'Allow',
        Action: ['kms:Decrypt'],
        Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*' },
        Condition: {
          'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/ecr' },
          StringEquals: { 'kms:ViaService': { 'Fn::Sub': 'secretsmanager.${AWS::Region}.amazonaws.com' } },
        },
      },
    ]);
    expect(resources.ProfileBuildToolsRole.Properties.AssumeRolePolicyDocument.Statement[0].Condition.StringLike).toEqual({
      'g.example.com/gitlab:sub': ['project_path:g/tools/ci:ref_type:*:ref:*'],
    });
    expect(
      Object.keys(template.Outputs)
        .filter((key) => key.startsWith('Profile') || key.startsWith('Oidc'))
        .sort(),
    ).toEqual([
      'OidcProviderArn',
      'ProfileBuildToolsPolicyArn',
      'ProfileBuildToolsRoleArn',
      'ProfileBuildToolsSecretName',
      'ProfileProdPolicyArn',
      'ProfileProdRoleArn',
      'ProfileProdSecretName',
    ]);
    expect(template.Outputs.ProfileProdSecretName.Value).toBe('ecr/profiles/prod');
    // The refresh role writes the profile secrets through the secrets prefix grant; nobody else gets a secretsmanager write.
    const writers = byAction(statementsOf(template), 'secretsmanager:PutSecretValue').filter((statement) => statement.Effect === 'Allow');
    expect(writers.map((statement) => statement.role)).toEqual(['RefreshRole', 'RefreshRole']);
  }

  itWithBinaries(
    'packages a config with only profiles (an existing provider, no gitlab section), cfn-lint clean',
    ['cfn-lint'],
    async () => {
      const { dir, template, output, code } = await packageTemplate(['--stage', 'x'], PROFILES_ONLY);
      expect(code, output).toBe(0);
      expect(template.Resources.OidcProvider).toBeUndefined();
      expect(template.Resources.ProfileStandaloneRole.DependsOn).toBeUndefined();
      expect(template.Resources.ProfileStandaloneRole.Properties.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ Federated: PROFILES_ONLY.oidc.providerArn });
      expect(template.Outputs.OidcProviderArn.Value).toBe(PROFILES_ONLY.oidc.providerArn);
      const refresh = statementsOf(template).filter((statement) => statement.role === 'RefreshRole' && JSON.stringify(statement.Action).includes('secretsmanager'));
      // No secrets section: the default prefix, profile secrets only; no GitLab token secret to read.
      expect(refresh).toEqual([
        {
          role: 'RefreshRole',
          Effect: 'Allow',
          Action: ['secretsmanager:CreateSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret', 'secretsmanager:TagResource'],
          Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:ecr-gitlab-refresher/profiles/*' },
        },
      ]);
      const files = ['cloudformation-template-create-stack.json', 'cloudformation-template-update-stack.json'].map((name) => join(dir, 'out', name));
      const lint = spawnSync('cfn-lint', files, { encoding: 'utf8' });
      expect(lint.stdout + lint.stderr, 'cfn-lint findings').toBe('');
    },
    180_000,
  );

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

  it('refuses reservedConcurrency 0 (every invocation throttled, the schedule never runs), before anything is uploaded', async () => {
    const { output, code } = await packageTemplate(['--stage', 'dev', '--param=reservedConcurrency=0']);
    expect(code).not.toBe(0);
    expect(output).toContain('reservedConcurrency 0 would throttle every invocation');
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

  const LINTED: Array<[string, () => Promise<{ dir: string }>]> = [
    ['config/dev.yml', () => packageTemplate(['--stage', 'dev'])],
    ['the maximal config (VPC, CA and both modes included)', packageMaximal],
  ];
  for (const [label, packaged] of LINTED) {
    // A packaging and a cfn-lint run: past a minute on a loaded two-core machine.
    itWithBinaries(
      `passes cfn-lint with no errors and no warnings, for ${label}`,
      ['cfn-lint'],
      async () => {
        const { dir } = await packaged();
        const files = ['cloudformation-template-create-stack.json', 'cloudformation-template-update-stack.json'].map((name) => join(dir, 'out', name));
        const lint = spawnSync('cfn-lint', files, { encoding: 'utf8' });
        expect(lint.stdout + lint.stderr, 'cfn-lint findings').toBe('');
        expect(lint.status).toBe(0);
      },
      180_000,
    );
  }

  it('invokes the bundled handler locally with the dry-run event', { timeout: 180_000 }, async () => {
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

/** config/dev.yml (GitLab targets) plus pull-time profiles: both modes in one stack. */
function bothModesConfig(): string {
  const path = join(tmpdir(), 'ecr-gitlab-refresher-both-modes.yml');
  const dev = parse(readFileSync(join(ROOT, 'config/dev.yml'), 'utf8'));
  dev.profiles = [
    { name: 'prod', registries: ['prod'], projects: ['platform/*'], refs: ['branch:main', 'tag:v*'] },
    { name: 'public-only', registries: ['public'], projects: ['platform/api'] },
  ];
  writeFileSync(path, stringify(dev));
  return path;
}
/** Resource types moto's CloudFormation skips (it says so in its log); the template tests cover them. */
const NOT_MODELLED_BY_MOTO = new Set(['AWS::CloudWatch::Alarm', 'AWS::Lambda::Url', 'AWS::Lambda::EventInvokeConfig', 'AWS::S3::BucketPolicy']);

/**
 * `serverless deploy` for real, into moto's CloudFormation: the same commands a user runs (docs/deploy.md: "Try a
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

  /** doctor's IAM and Secrets Manager reads, against moto. */
  const motoInspector = () =>
    new SdkAwsInspector(
      new RoleCredentials(),
      undefined,
      new SecretsManagerClient(motoClientConfig(moto.url)),
      undefined,
      new IAMClient(motoClientConfig(moto.url)),
      async () => 'us-east-1',
    );

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
    expect(modelled.filter((resource) => !resource.ResourceStatus?.endsWith('_COMPLETE'))).toEqual([]);
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
    const dashboard = await new CloudWatchClient(motoClientConfig(moto.url)).send(new GetDashboardCommand({ DashboardName: `${STACK}-us-east-1` }));
    expect(JSON.parse(dashboard.DashboardBody ?? '{}').widgets.length).toBeGreaterThanOrEqual(6);
  }, 180_000);

  it('deploys again with changed parameters, profiles added to the targets (both modes) and the refresh function now in a VPC (UPDATE_COMPLETE); serverless info names the stack', async () => {
    const run = await deploy('--param=logRetentionDays=14', `--param=config=${bothModesConfig()}`, ...VPC_PARAMS);
    expect(run.code, run.output).toBe(0);
    expect((await stack())?.StackStatus).toBe('UPDATE_COMPLETE');
    const lambda = new LambdaClient(motoClientConfig(moto.url));
    const refresh = await lambda.send(new GetFunctionCommand({ FunctionName: `${STACK}-refresh` }));
    expect(refresh.Configuration?.VpcConfig).toMatchObject({ SubnetIds: SUBNETS, SecurityGroupIds: [SECURITY_GROUP] });
    const helper = await lambda.send(new GetFunctionCommand({ FunctionName: `${STACK}-helperUrl` }));
    expect(helper.Configuration?.VpcConfig?.SubnetIds ?? []).toEqual([]);
    const info = await runServerless(['info', '--stage', 'dev'], env);
    expect(info.code, info.output).toBe(0);
    expect(info.output).toMatch(/service: ecr-gitlab-refresher\s+stage: dev\s+region: us-east-1\s+stack: ecr-gitlab-refresher-dev/);
    // The roles are in IAM as doctor finds them (path, secret tag) with the trust the config gives.
    const inspector = motoInspector();
    const config = validateConfig(parse(readFileSync(bothModesConfig(), 'utf8')));
    const oidc = oidcSettings(config);
    if (!oidc) throw new Error('the both-modes config has profiles');
    const provider = `arn:aws:iam::${MOTO_ACCOUNT}:oidc-provider/gitlab.example.com`;
    for (const profile of config.profiles) {
      const roles = await inspector.profileRoles(`ecr-gitlab-refresher/profiles/${profile.name}`);
      expect(roles).toHaveLength(1);
      expect(trustProblems(roles[0]?.trustPolicy, provider, trustConditions(profile, oidc))).toEqual([]);
      expect(roles[0]?.arn).toMatch(new RegExp(`^arn:aws:iam::${MOTO_ACCOUNT}:role/ecr-gitlab-refresher/${STACK}-Profile${profileLogicalId(profile.name)}Role-`));
    }
    // moto's CloudFormation skips AWS::IAM::OIDCProvider (it logs so); the template tests and cfn-lint cover it.
    expect(await inspector.oidcProvider(provider)).toBeUndefined();
  }, 180_000);

  it('deploys a stack with only profiles (no gitlab section, an existing provider) as another stage', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sls-profiles-'));
    writeFileSync(join(dir, 'config.yml'), stringify(PROFILES_ONLY));
    const run = await runServerless(['deploy', '--stage', 'profiles', `--param=config=${join(dir, 'config.yml')}`], env);
    expect(run.code, run.output).toBe(0);
    const deployed = (await cloudformation.send(new DescribeStacksCommand({ StackName: 'ecr-gitlab-refresher-profiles' }))).Stacks?.[0];
    expect(deployed?.StackStatus).toMatch(/^(CREATE|UPDATE)_COMPLETE$/);
    const [role, ...others] = await motoInspector().profileRoles('ecr-gitlab-refresher/profiles/standalone');
    expect(others).toEqual([]);
    expect(role?.arn).toMatch(/^arn:aws:iam::123456789012:role\/ecr-gitlab-refresher\/ecr-gitlab-refresher-profiles-ProfileStandaloneRole-/);
    const trust = role?.trustPolicy as { Statement: Array<{ Principal: unknown }> } | undefined;
    expect(trust?.Statement[0]?.Principal).toEqual({ Federated: PROFILES_ONLY.oidc.providerArn });
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
