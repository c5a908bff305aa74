import type { LogFields, Logger } from '../core/ports.js';
import type { Redactor } from './redactor.js';

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
export type LogLevel = keyof typeof LEVELS;

export interface JsonLoggerOptions {
  level: LogLevel;
  redactor: Redactor;
  /** Where finished lines go: stderr for the CLI (stdout is the result), stdout in Lambda. */
  write: (line: string) => void;
  /** Fields on every line, such as the run's correlation id. */
  base?: LogFields;
}

export function parseLogLevel(value: string | undefined, fallback: LogLevel): LogLevel {
  const normalised = value?.toLowerCase();
  return normalised && normalised in LEVELS ? (normalised as LogLevel) : fallback;
}

/** Structured JSON lines, each scrubbed of every registered secret before it leaves the process. */
export function createJsonLogger(options: JsonLoggerOptions): Logger {
  const threshold = LEVELS[options.level];
  const emit = (level: Exclude<LogLevel, 'silent'>) =>
    function log(message: string, fields: LogFields = {}): void {
      if (LEVELS[level] < threshold) return;
      const line = JSON.stringify({ timestamp: new Date().toISOString(), level: level.toUpperCase(), message, ...options.base, ...fields }, dropUndefined);
      options.write(options.redactor.scrub(line));
    };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

function dropUndefined(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}
