// biome-ignore-all lint/suspicious/noExplicitAny: CloudFormation templates are untyped JSON
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** build/stack.cjs's pure part: the template pieces a config and parameters give. */
export const { deriveStack } = require('../../build/stack.cjs') as { deriveStack: (config: unknown, params: Record<string, unknown>) => any };

/** serverless.yml's default parameters, as `serverless package` resolves them, for one stage. */
export function stackParams(stage: string): Record<string, unknown> {
  return {
    service: 'ecr-gitlab-refresher',
    stage,
    schedule: 'rate(6 hours)',
    expiryAlarmSeconds: 10800,
    expiryAlarmWindowHours: '',
    gitlabTokenAlarmDays: 14,
    reservedConcurrency: 1,
    alertTopicArn: '',
  };
}
