import type { Config } from './schema.js';

/**
 * The config a function runs with. From source: REFRESHER_CONFIG, read and validated now. In a packaged
 * function this module is replaced (build/esbuild-plugins.cjs) by the config validated at package time,
 * defaults applied, so the bundle carries neither the schema library nor the YAML parser (Lambda's 4 KB
 * environment is no place for the config, and they are most of a cold start's parsing).
 */
export async function loadRuntimeConfig(env: NodeJS.ProcessEnv): Promise<Config> {
  const { loadConfigFile } = await import('./load.js');
  return loadConfigFile(env.REFRESHER_CONFIG ?? 'refresher.config.yml');
}
