import type { Logger } from '../core/ports.js';
import { createJsonLogger, type LogLevel, parseLogLevel } from './logger.js';
import { Redactor } from './redactor.js';

export interface RuntimeOptions {
  env: NodeJS.ProcessEnv;
  /** Where log lines go. */
  writeLog: (line: string) => void;
  defaultLogLevel: LogLevel;
  correlationId: string;
  deadline?: number;
}

export interface Observability {
  logger: Logger;
  redactor: Redactor;
}

export function buildObservability(runtime: RuntimeOptions): Observability {
  const redactor = new Redactor();
  const logger = createJsonLogger({
    level: parseLogLevel(runtime.env.LOG_LEVEL, runtime.defaultLogLevel),
    redactor,
    write: runtime.writeLog,
    base: { service: 'ecr-gitlab-refresher', correlationId: runtime.correlationId },
  });
  return { logger, redactor };
}
