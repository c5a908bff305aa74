import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from '../errors.js';
import { withCaCertificatesFile } from './ca-certificates.js';
import { parseConfigText } from './parse.js';
import type { Config } from './schema.js';

/**
 * Reads and validates a config file, and the files it names (relative to its folder); a missing or
 * unreadable file is a ConfigError (exit 2).
 */
export function loadConfigFile(path: string): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError([`${path}: cannot read config file (${code}); pass --config FILE or set REFRESHER_CONFIG`]);
  }
  return withCaCertificatesFile(parseConfigText(text, path), dirname(path));
}
