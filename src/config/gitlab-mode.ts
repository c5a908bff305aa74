import { ConfigError } from '../errors.js';
import type { Config, GitLabConfig } from './schema.js';

/**
 * The gitlab section, for code that only runs for targets (GitLab variables): validation requires the
 * section whenever there are targets, and a config with only profiles never reaches this code.
 */
export function gitlabOf(config: Pick<Config, 'gitlab'>): GitLabConfig {
  return gitlabPort(config.gitlab);
}

/** Whether a run or check talks to GitLab at all: only targets do (profiles are AWS only). */
export function usesGitLab(config: Pick<Config, 'targets'>): boolean {
  return config.targets.length > 0;
}

/** A GitLab port, which wiring builds whenever the config has targets (and only then). */
export function gitlabPort<T>(port: T | undefined): T {
  if (port === undefined) throw new ConfigError(['gitlab: required: targets are GitLab variables']);
  return port;
}
