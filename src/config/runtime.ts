import { bundledConfig } from './bundled-config.js';
import type { Config } from './schema.js';

/**
 * The config a deployed function runs with: the one bundled at package time, already validated there
 * with defaults applied (so the function never loads the schema or the YAML parser), or, when running
 * from source, REFRESHER_CONFIG read and validated now.
 */
export async function loadRuntimeConfig(env: NodeJS.ProcessEnv): Promise<Config> {
  if (bundledConfig !== undefined) return bundledConfig as Config;
  const { loadConfigFile } = await import('./load.js');
  return loadConfigFile(env.REFRESHER_CONFIG ?? 'refresher.config.yml');
}
