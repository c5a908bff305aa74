// biome-ignore-all lint/suspicious/noExplicitAny: CloudFormation templates are untyped JSON
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type Sandbox, startSandbox } from '../support/sandbox.js';
import { runServerless } from '../support/serverless.js';

describe('serverless (osls) offline', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox();
  });
  afterAll(() => sandbox.stop());

  describe('the packaged CloudFormation template (config/dev.yml)', () => {
    type Resource = { Type: string; Condition?: string; Properties: Record<string, any> };
    let resources: Record<string, Resource>;
    let out: string;
    const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);
    const alertTarget = { 'Fn::If': ['CreateAlertTopic', { Ref: 'AlertTopic' }, ''] };

    beforeAll(async () => {
      out = mkdtempSync(join(tmpdir(), 'sls-package-'));
      const run = await runServerless(['package', '--stage', 'dev', '--package', out]);
      expect(run.code, run.output).toBe(0);
      resources = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8')).Resources;
    });

    it('bundles the validated config into the code, not the environment', () => {
      const bundle = execFileSync('unzip', ['-p', join(out, 'refresh.zip')], { maxBuffer: 64 * 1024 * 1024 }).toString('utf8');
      expect(bundle).toContain('gitlab.example.com');
      expect(JSON.stringify(resources.RefreshLambdaFunction?.Properties.Environment)).not.toContain('gitlab.example.com');
    });

    it('schedules the refresh every 6 hours, arm64, nodejs22.x, one at a time', () => {
      const [[, rule]] = ofType('AWS::Events::Rule') as [[string, Resource]];
      expect(rule.Properties.ScheduleExpression).toBe('rate(6 hours)');
      const refresh = resources.RefreshLambdaFunction?.Properties;
      expect(refresh).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], ReservedConcurrentExecutions: 1, MemorySize: 512, Timeout: 600 });
    });

    it('limits async retries and sends failed runs to the alert topic', () => {
      expect(resources.RefreshLambdaEvConf?.Properties).toMatchObject({
        MaximumRetryAttempts: 1,
        MaximumEventAgeInSeconds: 3600,
        DestinationConfig: { OnFailure: { Destination: alertTarget } },
      });
      expect(resources.AlertTopic).toMatchObject({ Type: 'AWS::SNS::Topic', Condition: 'CreateAlertTopic' });
    });

    it('puts helper-url behind a Function URL with AWS_IAM auth and a small reserved concurrency', () => {
      expect(resources.HelperUrlLambdaFunctionUrl?.Properties.AuthType).toBe('AWS_IAM');
      expect(resources.HelperUrlLambdaFunction?.Properties.ReservedConcurrentExecutions).toBe(5);
    });

    it('alarms on errors, failed targets and token expiry (missing data counts), all to the topic', () => {
      const alarms = Object.fromEntries(ofType('AWS::CloudWatch::Alarm').map(([name, alarm]) => [name, alarm.Properties]));
      expect(alarms.RefreshErrorsAlarm).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Errors', Threshold: 1, AlarmActions: [alertTarget] });
      expect(alarms.TargetsFailedAlarm).toMatchObject({
        Namespace: 'EcrGitlabRefresher',
        MetricName: 'TargetsFailed',
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        AlarmActions: [alertTarget],
      });
      expect(alarms.TokenExpiryAlarm).toMatchObject({
        MetricName: 'SecondsUntilEarliestExpiry',
        Threshold: 10800,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
        AlarmActions: [alertTarget],
      });
    });

    it('keeps logs for 30 days', () => {
      const groups = ofType('AWS::Logs::LogGroup');
      expect(groups.map(([name]) => name).sort()).toEqual(['HelperUrlLogGroup', 'RefreshLogGroup']);
      for (const [, group] of groups) expect(group.Properties.RetentionInDays).toBe(30);
    });

    it('creates a private, encrypted, versioned, TLS-only helper bucket', () => {
      expect(resources.HelperBucket?.Properties).toMatchObject({
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        VersioningConfiguration: { Status: 'Enabled' },
      });
      const [deny] = resources.HelperBucketPolicy?.Properties.PolicyDocument.Statement ?? [];
      expect(deny).toMatchObject({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
    });

    it('grants least privilege: "*" only for the token actions that support nothing else', () => {
      type Policy = { PolicyDocument: { Statement: Array<{ Effect: string; Action: string | string[]; Resource: any }> } };
      const inline = ofType('AWS::IAM::Role').flatMap(([role, resource]) => (resource.Properties.Policies as Policy[]).map((policy) => ({ role, policy })));
      const attached = ofType('AWS::IAM::Policy').map(([, resource]) => ({ role: resource.Properties.Roles[0].Ref as string, policy: resource.Properties as Policy }));
      const statements: Array<{ role: string; Effect: string; Action: string | string[]; Resource: any }> = [...inline, ...attached].flatMap(({ role, policy }) =>
        policy.PolicyDocument.Statement.map((statement) => ({ role, ...statement })),
      );
      expect(statements.every((statement) => statement.Effect === 'Allow')).toBe(true);
      const wildcard = statements.filter((statement) => JSON.stringify(statement.Resource) === '"*"');
      expect(wildcard.map((statement) => [statement.role, statement.Action])).toEqual([
        ['RefreshRole', ['ecr:GetAuthorizationToken']],
        ['RefreshRole', ['ecr-public:GetAuthorizationToken', 'sts:GetServiceBearerToken']],
      ]);
      const actions = (role: string) => statements.filter((statement) => statement.role === role).flatMap((statement) => [statement.Action].flat());
      expect(actions('HelperUrlRole').sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents', 's3:GetObject']);
      const byAction = (action: string) => statements.find((statement) => [statement.Action].flat().includes(action));
      expect(byAction('sts:AssumeRole')?.Resource).toEqual(['arn:aws:iam::210987654321:role/ecr-pull']);
      expect(byAction('secretsmanager:PutSecretValue')?.Resource).toEqual({
        'Fn::Sub': 'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:ecr-gitlab-refresher/*',
      });
      expect(byAction('s3:GetObject')?.Resource).toEqual({ 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${HelperBucket}/docker-credential-ecr-login/*' });
      expect(statements.some((statement) => [statement.Action].flat().some((action: string) => action.startsWith('kms:')))).toBe(false);
    });
  });

  it('uses an existing topic and bucket when given, and derives KMS and role grants from the config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sls-existing-'));
    const file = join(dir, 'prod.yml');
    writeFileSync(
      file,
      stringify({
        gitlab: { url: 'https://g.example.com', tokenSecretId: 'gl/token' },
        registries: [{ name: 'p', accountId: '111111111111', regions: ['eu-west-1'] }],
        secrets: { prefix: 'ecr/', kmsKeyId: 'alias/ecr' },
        targets: [{ group: 'g' }],
        helper: { bucket: 'existing-helpers', versions: ['0.12.0'], defaultVersion: '0.12.0' },
      }),
    );
    const out = join(dir, 'out');
    const run = await runServerless(['package', '--stage', 'prod', '--package', out, `--param=config=${file}`, '--param=alertTopicArn=arn:aws:sns:us-east-1:111111111111:ops']);
    expect(run.code, run.output).toBe(0);
    const template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8'));
    const policies = JSON.stringify(template.Resources.RefreshRole.Properties.Policies);
    expect(policies).toContain('arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:alias/ecr');
    expect(policies).not.toContain('sts:AssumeRole');
    expect(policies).not.toContain('ecr-public');
    expect(JSON.stringify(template.Resources.HelperUrlRole.Properties.Policies)).toContain('arn:aws:s3:::existing-helpers/docker-credential-ecr-login/*');
    expect(template.Resources.HelperBucket).toMatchObject({ Condition: 'CreateHelperBucket' });
    expect(template.Conditions.CreateHelperBucket).toEqual({ 'Fn::Equals': ['false', 'true'] });
    expect(template.Conditions.CreateAlertTopic).toEqual({ 'Fn::Equals': ['arn:aws:sns:us-east-1:111111111111:ops', ''] });
  });

  it('packages a config without a helper section: no S3 grant at all', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sls-nohelper-'));
    const file = join(dir, 'c.yml');
    writeFileSync(file, stringify({ gitlab: { url: 'https://g.example.com' }, registries: [{ name: 'p', regions: ['eu-west-1'] }], targets: [{ group: 'g' }] }));
    const run = await runServerless(['package', '--stage', 'x', '--package', join(dir, 'out'), `--param=config=${file}`]);
    expect(run.code, run.output).toBe(0);
    const template = JSON.parse(readFileSync(join(dir, 'out', 'cloudformation-template-update-stack.json'), 'utf8'));
    expect(template.Resources.HelperUrlRole.Properties.Policies).toEqual([]);
    expect(JSON.stringify(template.Resources.RefreshRole.Properties.Policies)).not.toContain('secretsmanager');
  });

  it('fails packaging with the field path when the config is invalid', async () => {
    const bad = join(mkdtempSync(join(tmpdir(), 'sls-bad-')), 'bad.yml');
    writeFileSync(bad, stringify({ gitlab: { url: 'https://g.example.com' }, registries: [{ name: 'p', accountId: '1', regions: ['us-east-1'] }], targets: [{ group: 'g' }] }));
    const run = await runServerless(['package', '--stage', 'dev', '--package', mkdtempSync(join(tmpdir(), 'sls-out-')), `--param=config=${bad}`]);
    expect(run.code).not.toBe(0);
    expect(run.output).toContain('registries[0].accountId: expected a 12-digit account id');
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
