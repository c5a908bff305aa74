import { GitLabDiscoveryApi } from '../../src/adapters/gitlab/discovery.js';
import { AdaptivePacer } from '../../src/adapters/gitlab/pacer.js';
import { createGitLabTransport, type TransportStats } from '../../src/adapters/gitlab/transport.js';
import { GitLabVariableStore } from '../../src/adapters/gitlab/variable-store.js';
import type { Config } from '../../src/config/schema.js';
import { runRefresh } from '../../src/core/refresh/refresh.js';
import type { RefreshSummary } from '../../src/core/refresh/summary.js';
import { CapturingLogger, FakeMinter } from './builders.js';

export interface EmulatorRefresh {
  dryRun?: boolean;
  maxAttempts?: number;
  /** Discovery for coverShadowing and duplicate targets; off unless asked for. */
  discovery?: boolean;
  /** The run's deadline (epoch ms), as the Lambda handler sets it. */
  deadline?: number;
}

/** The real core and GitLab adapters against the emulator, with a fake minter: the integration suites' run. */
export async function refreshAgainstEmulator(
  config: Config,
  url: string,
  token: string,
  options: EmulatorRefresh = {},
): Promise<{ summary: RefreshSummary; stats: TransportStats }> {
  const stats: TransportStats = { requests: 0, retries: 0, throttled: 0 };
  const transport = createGitLabTransport({
    pacer: new AdaptivePacer({ maxConcurrency: 8 }),
    requestTimeoutMs: 2_000,
    maxAttempts: options.maxAttempts,
    stats,
    deadline: options.deadline,
  });
  const gitlab = { url, token, transport };
  const summary = await runRefresh(
    config,
    { dryRun: options.dryRun ?? false },
    {
      minter: new FakeMinter(),
      variables: new GitLabVariableStore(gitlab),
      discovery: options.discovery ? new GitLabDiscoveryApi(gitlab) : undefined,
      clock: { now: Date.now },
      logger: new CapturingLogger(),
      onSecret: () => {},
      deadline: options.deadline,
    },
  );
  return { summary, stats };
}
