// `${file(./build/stack.cjs):stack}`: everything in the CloudFormation template that depends on the
// refresher config or a parameter, decided at packaging time (offline: no ${aws:...} lookups). The
// template then needs no CloudFormation conditions, and cfn-lint sees exactly what deploys.
const { loadProfileTrust, loadRefresherConfig } = require('./refresher-config.cjs');

const NAMESPACE = 'EcrGitlabRefresher';
const SERVICE = 'ecr-gitlab-refresher';
const HOUR = 3600;
/** ECR tokens last 12 hours. */
const TOKEN_LIFETIME = 12 * HOUR;
/** The expiry alarm must fire this long after the last successful refresh at the latest. */
const ALARM_DEADLINE = 9 * HOUR;
const PULL_ACTIONS = ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'];
const PUSH_ACTIONS = ['ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload', 'ecr:PutImage'];
const HELPER_PREFIX = 'docker-credential-ecr-login';
const HELPER_STATUSES = ['200', '302', '400', '404', '405', '409', '500'];

const sub = (text) => ({ 'Fn::Sub': text });

class StackParameterError extends Error {
  constructor(message) {
    super(message);
    this.name = 'StackParameterError';
  }
}

/** `rate(6 hours)` → 6; anything else needs the window given explicitly. */
function scheduleHours(schedule) {
  const match = /^rate\((\d+) (minutes?|hours?|days?)\)$/.exec(String(schedule).trim());
  if (!match) return undefined;
  const amount = Number(match[1]);
  return match[2].startsWith('minute') ? amount / 60 : match[2].startsWith('hour') ? amount : amount * 24;
}

/**
 * The two expiry alarms' arithmetic (docs/operations.md: alarms). With a run every `interval` hours:
 * - TokenExpiry fires on the first run that reports less than `interval + margin` left: the next run
 *   comes `interval` later, when less than `margin` would be left, so it warns `margin` ahead at least;
 * - RefreshStalled fires when no run reported for `window` hourly periods (window = interval + 1):
 *   at the latest `window + 1` hours after the last report, since periods are aligned to the hour.
 */
function expiryAlarms(schedule, marginSeconds, windowParam) {
  const interval = scheduleHours(schedule);
  const margin = Number(marginSeconds);
  if (!Number.isFinite(margin) || margin <= 0) throw new StackParameterError(`expiryAlarmSeconds must be a positive number of seconds, got "${marginSeconds}"`);
  let windowHours;
  if (windowParam !== undefined && windowParam !== '') windowHours = Number(windowParam);
  else if (interval !== undefined) windowHours = Math.ceil(interval) + 1;
  else
    throw new StackParameterError(`schedule "${schedule}" is not rate(N minutes|hours): pass --param="expiryAlarmWindowHours=N" (at least the longest gap between runs, plus one)`);
  if (!Number.isInteger(windowHours) || windowHours < 2) throw new StackParameterError(`expiryAlarmWindowHours must be an integer of at least 2, got "${windowParam}"`);
  const latestStalledFire = (windowHours + 1) * HOUR;
  if (latestStalledFire > ALARM_DEADLINE) {
    throw new StackParameterError(
      `schedule "${schedule}" is too slow: a stopped refresh would alarm only ${windowHours + 1} hours after the last run, and tokens last 12; use rate(7 hours) or faster`,
    );
  }
  const thresholdSeconds = Math.round((interval ?? windowHours - 1) * HOUR + margin);
  if (thresholdSeconds >= TOKEN_LIFETIME - HOUR) {
    throw new StackParameterError(`a ${interval} hour schedule plus expiryAlarmSeconds ${margin} leaves healthy runs under the alarm threshold; lower one of them`);
  }
  return { windowHours, thresholdSeconds, marginSeconds: margin, latestStalledFireSeconds: latestStalledFire };
}

/**
 * `none` (reserve nothing) or a whole number of at least 1. Lambda accepts 0 and then throttles every
 * invocation, the schedule's included: a stack that deploys and never runs.
 */
function reservedConcurrency(value) {
  const text = String(value).trim();
  if (text === 'none') return undefined;
  if (!/^\d+$/.test(text)) throw new StackParameterError(`reservedConcurrency must be a whole number of at least 1 or "none", got "${text}"`);
  if (Number(text) < 1) {
    throw new StackParameterError(
      `reservedConcurrency 0 would throttle every invocation, the schedule's included, so the refresh would never run: use 1 (one run at a time, the default) or "none"`,
    );
  }
  return Number(text);
}

/** Registry accounts reached without a role: the function's own role mints their tokens, so it must be allowed to pull. */
function repositoryArns(registry) {
  const account = registry.accountId ?? '${AWS::AccountId}';
  const repositories = registry.repositories ?? ['*'];
  return (registry.regions ?? []).flatMap((region) => repositories.map((repository) => sub(`arn:\${AWS::Partition}:ecr:${region}:${account}:repository/${repository}`)));
}

/** Registries that some variable with `access: push` carries. */
function pushRegistries(config) {
  const names = new Set();
  for (const target of config.targets) {
    for (const extra of target.variables ?? []) {
      if (extra.access === 'push') for (const name of extra.registries ?? target.registries ?? config.registries.map((registry) => registry.name)) names.add(name);
    }
  }
  return names;
}

/**
 * What Secrets Manager asks KMS for on the caller's behalf with a customer managed key: GenerateDataKey for
 * the data key of each new version (CreateSecret, PutSecretValue), Decrypt to read one (GetSecretValue).
 * It never calls Encrypt for these (envelope encryption); only UpdateSecret's re-encryption under a new
 * key does, which an operator runs, not this function.
 */
function kmsStatement(kmsKeyId) {
  const actions = ['kms:Decrypt', 'kms:GenerateDataKey'];
  const alias = /^(?:arn:[^:]+:kms:[^:]*:\d*:)?(alias\/.+)$/.exec(kmsKeyId);
  // A policy on an alias ARN grants nothing: allow the keys this alias points at.
  if (alias) {
    return {
      Effect: 'Allow',
      Action: actions,
      Resource: sub('arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*'),
      Condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': alias[1] } },
    };
  }
  const resource = kmsKeyId.startsWith('arn:') ? kmsKeyId : sub(`arn:\${AWS::Partition}:kms:\${AWS::Region}:\${AWS::AccountId}:key/${kmsKeyId}`);
  return { Effect: 'Allow', Action: actions, Resource: resource };
}

// ---- VPC (docs/network.md) -------------------------------------------------------------------------

/**
 * What Lambda itself does with the function's role to attach it to a VPC: AWSLambdaVPCAccessExecutionRole's
 * EC2 actions (its logs actions the role has already). Describe* work only on "*", and AWS warns that a
 * narrower DeleteNetworkInterface can cut the function off its VPC, so all are on "*" as in that policy.
 */
const VPC_ENI_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];
const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;
const SECURITY_GROUP_ID = /^sg-[0-9a-f]{8,17}$/;

/** A list parameter: a comma-separated string (--param="vpcSubnetIds=subnet-a,subnet-b") or a YAML list. */
function idList(value) {
  const items = Array.isArray(value) ? value : String(value ?? '').split(',');
  return items.map((item) => String(item).trim()).filter(Boolean);
}

/**
 * The refresh function's VpcConfig from the vpcSubnetIds and vpcSecurityGroupIds parameters, or undefined
 * when both are empty (the default: no VPC). helperUrl never gets one: runners call it from anywhere.
 */
function vpcConfig(subnetParam, securityGroupParam) {
  const subnets = idList(subnetParam);
  const groups = idList(securityGroupParam);
  if (subnets.length === 0 && groups.length === 0) return undefined;
  if (subnets.length === 0 || groups.length === 0) {
    throw new StackParameterError('vpcSubnetIds and vpcSecurityGroupIds go together: give both (docs/network.md), or neither to keep the function out of a VPC');
  }
  const badSubnet = subnets.find((id) => !SUBNET_ID.test(id));
  if (badSubnet) throw new StackParameterError(`vpcSubnetIds: "${badSubnet}" is not a subnet id such as subnet-0a1b2c3d4e5f67890`);
  const badGroup = groups.find((id) => !SECURITY_GROUP_ID.test(id));
  if (badGroup) throw new StackParameterError(`vpcSecurityGroupIds: "${badGroup}" is not a security group id such as sg-0a1b2c3d4e5f67890`);
  if (subnets.length > 16) throw new StackParameterError(`vpcSubnetIds: Lambda takes at most 16 subnets, got ${subnets.length}`);
  if (groups.length > 5) throw new StackParameterError(`vpcSecurityGroupIds: Lambda takes at most 5 security groups, got ${groups.length}`);
  return { SubnetIds: [...new Set(subnets)], SecurityGroupIds: [...new Set(groups)] };
}

/** A secret by name or ARN; `-??????` is the six characters Secrets Manager appends, and matches nothing longer. */
function secretArn(id) {
  return id.startsWith('arn:') ? id : sub(`arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:${id}-??????`);
}

/**
 * The refresh function on the secrets it writes: DescribeSecret shows a same-named secret's tags, and one
 * without managed-by=ecr-gitlab-refresher is someone else's and never written (src/adapters/aws/secrets-manager-store.ts).
 */
const SECRET_WRITER_ACTIONS = [
  'secretsmanager:CreateSecret',
  'secretsmanager:PutSecretValue',
  'secretsmanager:GetSecretValue',
  'secretsmanager:DescribeSecret',
  'secretsmanager:TagResource',
];

/** What must never be done to the GitLab token secret unless rotation is on, nor to the CA secret (the secrets prefix may cover them). */
const TOKEN_SECRET_WRITES = ['secretsmanager:CreateSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage', 'secretsmanager:TagResource'];

/** Least privilege for the refresh function, from what the config actually uses. */
function refreshStatements(config, names, alert, vpc) {
  const statements = [
    {
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: sub(`arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/${names.refreshFunction}:*`),
    },
    { Effect: 'Allow', Action: ['sns:Publish'], Resource: alert.topic },
    // The only resource GetAuthorizationToken supports.
    { Effect: 'Allow', Action: ['ecr:GetAuthorizationToken'], Resource: '*' },
  ];
  if (alert.key) statements.push({ Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: alert.key });
  const own = config.registries.filter((registry) => !registry.public && !registry.roleArn);
  const pushing = pushRegistries(config);
  if (own.length > 0) statements.push({ Effect: 'Allow', Action: PULL_ACTIONS, Resource: own.flatMap(repositoryArns) });
  const ownPush = own.filter((registry) => pushing.has(registry.name));
  if (ownPush.length > 0) statements.push({ Effect: 'Allow', Action: PUSH_ACTIONS, Resource: ownPush.flatMap(repositoryArns) });
  if (config.registries.some((registry) => registry.public)) {
    statements.push({ Effect: 'Allow', Action: ['ecr-public:GetAuthorizationToken', 'sts:GetServiceBearerToken'], Resource: '*' });
  }
  const roles = [...new Set(config.registries.map((registry) => registry.roleArn).filter(Boolean))];
  if (roles.length > 0) statements.push({ Effect: 'Allow', Action: ['sts:AssumeRole'], Resource: roles });
  if (config.secrets) {
    statements.push({
      Effect: 'Allow',
      Action: SECRET_WRITER_ACTIONS,
      Resource: sub(`arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:${config.secrets.prefix}*`),
    });
    if (config.secrets.kmsKeyId) statements.push(kmsStatement(config.secrets.kmsKeyId));
  }
  if (config.gitlab?.tokenSecretId) {
    // Writing the token secret is needed only to store a rotated token.
    // Rotation writes a lock version and moves AWSCURRENT by compare-and-swap (UpdateSecretVersionStage).
    const actions = config.gitlab.rotateToken
      ? ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage']
      : ['secretsmanager:GetSecretValue'];
    statements.push({ Effect: 'Allow', Action: actions, Resource: secretArn(config.gitlab.tokenSecretId) });
    // The prefix grant above may cover the token secret (ecr-gitlab-refresher/gitlab-token): an explicit deny wins.
    if (!config.gitlab.rotateToken && config.secrets) statements.push({ Effect: 'Deny', Action: TOKEN_SECRET_WRITES, Resource: secretArn(config.gitlab.tokenSecretId) });
  }
  if (config.gitlab?.caCertificatesSecretId) {
    const caSecret = secretArn(config.gitlab.caCertificatesSecretId);
    statements.push({ Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: caSecret });
    // What GitLab is trusted with is never the function's to change, even inside the secrets prefix.
    if (config.secrets) statements.push({ Effect: 'Deny', Action: TOKEN_SECRET_WRITES, Resource: caSecret });
  }
  if (vpc) statements.push({ Effect: 'Allow', Action: VPC_ENI_ACTIONS, Resource: '*' });
  return statements;
}

/** helper-url may read the helper objects, and list that prefix so a missing object is a 404, not a 403. */
function helperStatements(config, names, bucket) {
  const statements = [
    {
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: sub(`arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/${names.helperFunction}:*`),
    },
  ];
  if (!config.helper) return statements;
  const arn = (suffix) => (typeof bucket === 'string' ? sub(`arn:\${AWS::Partition}:s3:::${bucket}${suffix}`) : sub(`arn:\${AWS::Partition}:s3:::\${HelperBucket}${suffix}`));
  statements.push(
    { Effect: 'Allow', Action: ['s3:GetObject'], Resource: arn(`/${HELPER_PREFIX}/*`) },
    { Effect: 'Allow', Action: ['s3:ListBucket'], Resource: arn(''), Condition: { StringLike: { 's3:prefix': [`${HELPER_PREFIX}/*`] } } },
  );
  return statements;
}

const RETAIN = { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' };

function helperBucketResources() {
  return {
    HelperBucket: {
      Type: 'AWS::S3::Bucket',
      ...RETAIN,
      Properties: {
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        VersioningConfiguration: { Status: 'Enabled' },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      },
    },
    HelperBucketPolicy: {
      Type: 'AWS::S3::BucketPolicy',
      Properties: {
        Bucket: { Ref: 'HelperBucket' },
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'DenyInsecureTransport',
              Effect: 'Deny',
              Principal: '*',
              Action: 's3:*',
              Resource: [{ 'Fn::GetAtt': ['HelperBucket', 'Arn'] }, sub('${HelperBucket.Arn}/*')],
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            },
          ],
        },
      },
    },
  };
}

/**
 * CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed aws/sns key (its policy
 * cannot grant cloudwatch.amazonaws.com), so the stack's topic gets a key of its own.
 */
function alertTopicResources(stage) {
  return {
    AlertTopicKey: {
      Type: 'AWS::KMS::Key',
      Properties: {
        Description: `ecr-gitlab-refresher ${stage}: encrypts the alert topic; CloudWatch alarms may use it`,
        EnableKeyRotation: true,
        KeyPolicy: {
          Version: '2012-10-17',
          Statement: [
            { Sid: 'AccountAdministersTheKey', Effect: 'Allow', Principal: { AWS: sub('arn:${AWS::Partition}:iam::${AWS::AccountId}:root') }, Action: 'kms:*', Resource: '*' },
            {
              Sid: 'CloudWatchAlarmsPublishToTheTopic',
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
              Resource: '*',
              Condition: { StringEquals: { 'aws:SourceAccount': sub('${AWS::AccountId}') } },
            },
          ],
        },
      },
    },
    AlertTopic: {
      Type: 'AWS::SNS::Topic',
      Properties: { DisplayName: `ecr-gitlab-refresher ${stage} alerts`, KmsMasterKeyId: { Ref: 'AlertTopicKey' } },
    },
  };
}

/** The dashboard: what people look at instead of reading logs (docs/operations.md: dashboard). */
function dashboardBody(stage, names, alarms, gitlabTokenAlarmSeconds) {
  const m = (name, extraDimensions = []) => [NAMESPACE, name, 'Service', SERVICE, 'Stage', stage, ...extraDimensions];
  const widget = (title, properties, x, y) => ({ type: 'metric', x, y, width: 12, height: 6, properties: { title, region: '${AWS::Region}', view: 'timeSeries', ...properties } });
  const widgets = [
    widget(
      'Targets per run (updated, failed, covered through a group)',
      { stat: 'Sum', period: 3600, metrics: [m('TargetsUpdated'), m('TargetsFailed'), m('TargetsCovered')] },
      0,
      0,
    ),
    widget(
      'Hours until the earliest credential GitLab holds expires',
      {
        period: 3600,
        metrics: [[{ expression: 'm1/3600', label: 'hours left', id: 'e1' }], [...m('SecondsUntilEarliestExpiry'), { id: 'm1', stat: 'Minimum', visible: false }]],
        annotations: { horizontal: [{ label: 'TokenExpiry alarm', value: alarms.thresholdSeconds / 3600 }] },
        yAxis: { left: { min: 0 } },
      },
      12,
      0,
    ),
    widget('Run duration (ms)', { stat: 'Maximum', period: 3600, metrics: [m('DurationMs')] }, 0, 6),
    widget('GitLab requests, retries and 429s per run', { stat: 'Sum', period: 3600, metrics: [m('GitLabRequests'), m('GitLabRetries'), m('GitLabThrottled')] }, 12, 6),
    widget('helper-url requests by status', { stat: 'Sum', period: 3600, metrics: HELPER_STATUSES.map((status) => m('HelperRequests', ['Status', status])) }, 0, 12),
    widget(
      'Variables that need a person (unmasked, overridden by credsStore/credHelpers)',
      { stat: 'Maximum', period: 3600, metrics: [m('TargetsUnmasked'), m('TargetsOverridden')] },
      12,
      12,
    ),
    widget(
      'Days until the GitLab token expires',
      {
        period: 21600,
        metrics: [[{ expression: 'm1/86400', label: 'days left', id: 'e1' }], [...m('SecondsUntilGitLabTokenExpiry'), { id: 'm1', stat: 'Minimum', visible: false }]],
        annotations: { horizontal: [{ label: 'GitLabTokenExpiry alarm', value: gitlabTokenAlarmSeconds / 86400 }] },
      },
      0,
      18,
    ),
    widget(
      'refresh function errors and throttles',
      {
        stat: 'Sum',
        period: 3600,
        metrics: [
          ['AWS/Lambda', 'Errors', 'FunctionName', names.refreshFunction],
          ['AWS/Lambda', 'Throttles', 'FunctionName', names.refreshFunction],
        ],
      },
      12,
      18,
    ),
  ];
  return JSON.stringify({ widgets });
}

// --- Profiles (pull-time mode): docs/pull-time-profiles.md -------------------------------------------

/** IAM's default size limit of a role's trust policy (quota ACLSizePerRole, whitespace not counted). */
const TRUST_POLICY_LIMIT = 2048;

/** secretsmanager:GetSecretValue, through Secrets Manager only, for profile readers. */
function profileKmsStatement(kmsKeyId) {
  const base = kmsStatement(kmsKeyId);
  return { ...base, Action: ['kms:Decrypt'], Condition: { ...base.Condition, StringEquals: { 'kms:ViaService': sub('secretsmanager.${AWS::Region}.amazonaws.com') } } };
}

/** What a profile's reader may do: read that one secret (and decrypt it with the configured key, through Secrets Manager). */
function profileReadStatements(secretName, config) {
  const statements = [{ Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: secretArn(secretName) }];
  if (config.secrets?.kmsKeyId) statements.push(profileKmsStatement(config.secrets.kmsKeyId));
  return statements;
}

/**
 * Per profile: a managed policy that reads its secret (for runner instance roles too) and a role that
 * GitLab jobs assume with their ID token, trusted by the issuer's OIDC provider (created here unless
 * oidc.providerArn names the account's existing one) for the audience and the profile's `sub` patterns.
 */
function profileResources(config, trust) {
  const oidc = trust.oidcSettings(config);
  if (!oidc) return { resources: {}, outputs: {}, refreshStatements: [] };
  const createsProvider = !oidc.providerArn;
  // Built, not referenced: the provider's ARN is fixed by its URL, and moto's CloudFormation skips the resource.
  const providerArn = oidc.providerArn ?? sub(`arn:\${AWS::Partition}:iam::\${AWS::AccountId}:oidc-provider/${oidc.providerUrl}`);
  const prefix = trust.secretsPrefix(config);
  const resources = {};
  const outputs = {};
  if (createsProvider) {
    resources.OidcProvider = {
      Type: 'AWS::IAM::OIDCProvider',
      Properties: { Url: oidc.issuer, ClientIdList: [oidc.audience], Tags: [{ Key: 'managed-by', Value: SERVICE }] },
    };
  }
  outputs.OidcProviderArn = { Description: `IAM OIDC provider trusted by the profile roles (${oidc.issuer})`, Value: providerArn };
  for (const profile of config.profiles) {
    const id = `Profile${trust.profileLogicalId(profile.name)}`;
    const secretName = trust.profileSecretName(prefix, profile.name);
    const trustPolicy = trust.profileTrustPolicy(profile, oidc, providerArn);
    const size = JSON.stringify(trust.profileTrustPolicy(profile, oidc, `arn:aws:iam::123456789012:oidc-provider/${oidc.providerUrl}`)).length;
    if (size > TRUST_POLICY_LIMIT) {
      throw new StackParameterError(
        `profile "${profile.name}": its role's trust policy is about ${size} characters, over IAM's default limit of ${TRUST_POLICY_LIMIT}: use fewer project or ref patterns (a group pattern such as platform/* instead of each project), or split the profile`,
      );
    }
    resources[`${id}ReadPolicy`] = {
      Type: 'AWS::IAM::ManagedPolicy',
      Properties: {
        Description: `Reads the ECR pull credentials of ecr-gitlab-refresher profile ${profile.name} (${secretName}); attach to runner instance roles that do not use ID tokens`,
        Path: trust.PROFILE_IAM_PATH,
        PolicyDocument: { Version: '2012-10-17', Statement: profileReadStatements(secretName, config) },
      },
    };
    resources[`${id}Role`] = {
      Type: 'AWS::IAM::Role',
      ...(createsProvider ? { DependsOn: 'OidcProvider' } : {}),
      Properties: {
        Description: `Assumed by GitLab jobs (ID token) to read the ECR pull credentials of profile ${profile.name}; its trust names the projects and refs`,
        Path: trust.PROFILE_IAM_PATH,
        MaxSessionDuration: HOUR,
        AssumeRolePolicyDocument: trustPolicy,
        ManagedPolicyArns: [{ Ref: `${id}ReadPolicy` }],
        Tags: [
          { Key: 'managed-by', Value: SERVICE },
          { Key: trust.PROFILE_SECRET_TAG, Value: sub(`arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:${secretName}`) },
        ],
      },
    };
    outputs[`${id}RoleArn`] = { Description: `AWS_ROLE_ARN for the jobs of profile ${profile.name}`, Value: { 'Fn::GetAtt': [`${id}Role`, 'Arn'] } };
    outputs[`${id}PolicyArn`] = { Description: `Attach to runner instance roles that read profile ${profile.name} without ID tokens`, Value: { Ref: `${id}ReadPolicy` } };
    outputs[`${id}SecretName`] = { Description: `secret_id for the jobs of profile ${profile.name}`, Value: secretName };
  }
  // With a secrets section the prefix grant covers the profile secrets; without one they use the default prefix.
  const refreshStatements = config.secrets
    ? []
    : [
        {
          Effect: 'Allow',
          Action: SECRET_WRITER_ACTIONS,
          Resource: sub(`arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:${trust.profileSecretName(prefix, '*')}`),
        },
      ];
  return { resources, outputs, refreshStatements };
}

/** Everything the template needs, from the validated config and the parameters. Pure: unit-tested. */
function deriveStack(config, params, trust = loadProfileTrust()) {
  const names = {
    refreshFunction: `${params.service}-${params.stage}-refresh`,
    helperFunction: `${params.service}-${params.stage}-helperUrl`,
    // Dashboards are account-wide: without the region, a second region's stack of the same stage would take this one over (and delete it on removal).
    dashboard: `${params.service}-${params.stage}-\${AWS::Region}`,
  };
  const createsTopic = !params.alertTopicArn;
  const alert = createsTopic ? { topic: { Ref: 'AlertTopic' }, key: { 'Fn::GetAtt': ['AlertTopicKey', 'Arn'] } } : { topic: params.alertTopicArn };
  const createsBucket = Boolean(config.helper && !config.helper.bucket);
  const helperBucket = createsBucket ? { Ref: 'HelperBucket' } : (config.helper?.bucket ?? 'no-helper-section');
  const alarms = expiryAlarms(params.schedule, params.expiryAlarmSeconds, params.expiryAlarmWindowHours);
  const gitlabTokenAlarmSeconds = Number(params.gitlabTokenAlarmDays) * 86400;
  if (!Number.isFinite(gitlabTokenAlarmSeconds) || gitlabTokenAlarmSeconds <= 0)
    throw new StackParameterError(`gitlabTokenAlarmDays must be a positive number, got "${params.gitlabTokenAlarmDays}"`);
  const reserved = reservedConcurrency(params.reservedConcurrency);
  const vpc = vpcConfig(params.vpcSubnetIds, params.vpcSecurityGroupIds);
  const refreshProperties = {
    ...(reserved === undefined ? {} : { ReservedConcurrentExecutions: reserved }),
    ...(vpc ? { VpcConfig: vpc } : {}),
  };

  const resources = {
    ...(createsTopic ? alertTopicResources(params.stage) : {}),
    ...(createsBucket ? helperBucketResources() : {}),
    RefreshStalledAlarm: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmDescription: `No refresh has reported the expiry of the credentials GitLab holds for ${alarms.windowHours} hours: the schedule stopped, or every run fails before writing. Tokens last 12 hours; invoke the refresh now and read its logs.`,
        Namespace: NAMESPACE,
        MetricName: 'SecondsUntilEarliestExpiry',
        Dimensions: dimensions(params.stage),
        Statistic: 'SampleCount',
        Period: HOUR,
        EvaluationPeriods: alarms.windowHours,
        DatapointsToAlarm: alarms.windowHours,
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
        AlarmActions: [alert.topic],
      },
    },
    Dashboard: {
      Type: 'AWS::CloudWatch::Dashboard',
      Properties: { DashboardName: sub(names.dashboard), DashboardBody: sub(dashboardBody(params.stage, names, alarms, gitlabTokenAlarmSeconds)) },
    },
  };
  const outputs = {
    HelperBucketName: { Description: 'Bucket for `ecr-gitlab-refresher helper publish --bucket`', Value: helperBucket },
    DashboardName: { Description: 'CloudWatch dashboard of the refresher', Value: sub(names.dashboard) },
    DashboardUrl: { Value: sub(`https://\${AWS::Region}.console.aws.amazon.com/cloudwatch/home?region=\${AWS::Region}#dashboards:name=${names.dashboard}`) },
  };
  const profiles = profileResources(config, trust);
  Object.assign(resources, profiles.resources);
  Object.assign(outputs, profiles.outputs);
  const extensions = {
    // osls adds DependsOn on the function's role, which its Fn::GetAtt already implies: harmless, and not ours to remove.
    RefreshLambdaFunction: {
      Metadata: { 'cfn-lint': { config: { ignore_checks: ['W3005'] } } },
      ...(Object.keys(refreshProperties).length > 0 ? { Properties: refreshProperties } : {}),
    },
    HelperUrlLambdaFunction: { Metadata: { 'cfn-lint': { config: { ignore_checks: ['W3005'] } } } },
  };
  return {
    alertTopic: alert.topic,
    // osls takes an existing topic as its ARN, and the stack's own as a typed reference.
    onFailure: createsTopic ? { type: 'sns', arn: alert.topic } : alert.topic,
    helperBucket,
    refreshStatements: [...refreshStatements(config, names, alert, vpc), ...profiles.refreshStatements],
    helperStatements: helperStatements(config, names, createsBucket ? undefined : config.helper?.bucket),
    metricDimensions: dimensions(params.stage),
    expiryAlarm: {
      windowHours: alarms.windowHours,
      thresholdSeconds: alarms.thresholdSeconds,
      description: `The earliest ECR credential GitLab holds expires within ${Math.round(alarms.thresholdSeconds / 360) / 10} hours: the next scheduled run would leave less than ${Math.round(alarms.marginSeconds / 360) / 10} hours. Pulls from ECR fail when it runs out; invoke the refresh and read its logs.`,
    },
    gitlabTokenAlarmSeconds,
    resources: { Resources: resources, Outputs: outputs, extensions },
  };
}

function dimensions(stage) {
  return [
    { Name: 'Service', Value: SERVICE },
    { Name: 'Stage', Value: stage },
  ];
}

async function resolveParams(resolveVariable) {
  const param = async (name, fallback) => {
    try {
      return await resolveVariable(`param:${name}`);
    } catch {
      return fallback;
    }
  };
  return {
    service: await resolveVariable('self:service'),
    stage: await resolveVariable('sls:stage'),
    alertTopicArn: await param('alertTopicArn', ''),
    schedule: await param('schedule', 'rate(6 hours)'),
    expiryAlarmSeconds: await param('expiryAlarmSeconds', 10800),
    expiryAlarmWindowHours: await param('expiryAlarmWindowHours', ''),
    gitlabTokenAlarmDays: await param('gitlabTokenAlarmDays', 14),
    reservedConcurrency: await param('reservedConcurrency', 1),
    vpcSubnetIds: await param('vpcSubnetIds', ''),
    vpcSecurityGroupIds: await param('vpcSecurityGroupIds', ''),
  };
}

module.exports = {
  stack: async ({ resolveVariable }) => {
    const config = loadRefresherConfig(await resolveVariable('self:custom.refresher.configFile'));
    return deriveStack(config, await resolveParams(resolveVariable));
  },
  deriveStack,
  profileResources,
  expiryAlarms,
  reservedConcurrency,
  scheduleHours,
  vpcConfig,
  StackParameterError,
};
