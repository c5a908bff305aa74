// `${file(./build/serverless-variables.cjs):iamStatements}` and friends: values derived from the
// refresher config, resolved offline (no ${aws:...}/${ssm:...}), failing packaging on a bad config.
const { loadRefresherConfig } = require('./refresher-config.cjs');

async function readConfig(resolveVariable) {
  const file = await resolveVariable('self:custom.refresher.configFile');
  return loadRefresherConfig(file);
}

/** Least-privilege statements for the refresh function, from what the config actually uses. */
function refreshStatements(config) {
  const statements = [{ Effect: 'Allow', Action: ['ecr:GetAuthorizationToken'], Resource: '*' }];
  if (config.registries.some((registry) => registry.public)) {
    statements.push({ Effect: 'Allow', Action: ['ecr-public:GetAuthorizationToken', 'sts:GetServiceBearerToken'], Resource: '*' });
  }
  const roles = [...new Set(config.registries.map((registry) => registry.roleArn).filter(Boolean))];
  if (roles.length > 0) statements.push({ Effect: 'Allow', Action: ['sts:AssumeRole'], Resource: roles });
  if (config.secrets) {
    statements.push({
      Effect: 'Allow',
      Action: ['secretsmanager:CreateSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:GetSecretValue', 'secretsmanager:TagResource'],
      Resource: { 'Fn::Sub': `arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:${config.secrets.prefix}*` },
    });
  }
  if (config.gitlab.tokenSecretId) {
    const id = config.gitlab.tokenSecretId;
    const resource = id.startsWith('arn:') ? id : { 'Fn::Sub': `arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:${id}-*` };
    statements.push({ Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: resource });
  }
  if (config.secrets?.kmsKeyId) {
    const key = config.secrets.kmsKeyId;
    const resource = key.startsWith('arn:')
      ? key
      : key.startsWith('alias/')
        ? { 'Fn::Sub': `arn:\${AWS::Partition}:kms:\${AWS::Region}:\${AWS::AccountId}:${key}` }
        : { 'Fn::Sub': `arn:\${AWS::Partition}:kms:\${AWS::Region}:\${AWS::AccountId}:key/${key}` };
    statements.push({ Effect: 'Allow', Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'], Resource: resource });
  }
  return statements;
}

/** Whether the stack creates the helper bucket: only when the config has a helper section without a bucket. */
function createsHelperBucket(config) {
  return Boolean(config.helper && !config.helper.bucket);
}

/** The helper-url function may read objects under the helper prefix and nothing else. */
function helperStatements(config) {
  const bucket = config.helper?.bucket;
  const resource = bucket
    ? `arn:aws:s3:::${bucket}/docker-credential-ecr-login/*`
    : createsHelperBucket(config)
      ? { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${HelperBucket}/docker-credential-ecr-login/*' }
      : undefined;
  return resource ? [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: resource }] : [];
}

module.exports = {
  iamStatements: async ({ resolveVariable }) => refreshStatements(await readConfig(resolveVariable)),
  // A policy with no statement is invalid in IAM, so the S3 policy exists only when there is a bucket.
  helperPolicies: async ({ resolveVariable }) => {
    const statements = helperStatements(await readConfig(resolveVariable));
    return statements.length > 0 ? [{ PolicyName: 'helper-objects', PolicyDocument: { Version: '2012-10-17', Statement: statements } }] : [];
  },
  createHelperBucket: async ({ resolveVariable }) => String(createsHelperBucket(await readConfig(resolveVariable))),
  helperBucketName: async ({ resolveVariable }) => (await readConfig(resolveVariable)).helper?.bucket ?? '',
};
