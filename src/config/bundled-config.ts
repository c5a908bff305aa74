/**
 * Replaced at bundle time (build/esbuild-plugins.cjs) with the validated config file, so a deployed
 * function carries its config in the code (Lambda's environment holds only 4 KB). Undefined when
 * running from source: then the config is read from REFRESHER_CONFIG.
 */
export const bundledConfig: unknown = undefined;
