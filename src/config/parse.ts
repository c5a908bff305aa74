import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { formatPath } from './field-path.js';
import { type Config, configSchema } from './schema.js';

/** One "path: reason" line per problem; unknown keys are named by their own path. */
export function formatIssues(issues: ReadonlyArray<z.core.$ZodIssue>, root = ''): string[] {
  const prefix = (path: ReadonlyArray<PropertyKey>) => formatPath(root ? [root, ...path] : path) || '(root)';
  return issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => `${prefix([...issue.path, key])}: unknown key`);
    }
    if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) return [`${prefix(issue.path)}: required`];
    return [`${prefix(issue.path)}: ${issue.message}`];
  });
}

/** Parses YAML or JSON text (JSON is YAML) and validates it. Throws ConfigError with every problem. */
export function parseConfigText(text: string, source = 'config'): Config {
  let raw: unknown;
  try {
    raw = parseYaml(text, { uniqueKeys: true, maxAliasCount: 100 });
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new ConfigError([`${source}: not valid YAML/JSON (${reason})`]);
  }
  return validateConfig(raw);
}

/** Validates an already-parsed object: pure, never reads files or the environment. */
export function validateConfig(raw: unknown): Config {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(['(root): expected a mapping with gitlab, registries and targets']);
  }
  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(formatIssues(result.error.issues));
  return result.data;
}
