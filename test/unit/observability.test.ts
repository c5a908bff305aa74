import { describe, expect, it } from 'vitest';
import { createJsonLogger } from '../../src/observability/logger.js';
import { REDACTED, Redactor } from '../../src/observability/redactor.js';

describe('Class: Redactor', () => {
  it('removes registered secrets, including their JSON-escaped form', () => {
    const redactor = new Redactor();
    redactor.add('pa"ss/word-123');
    const text = JSON.stringify({ message: 'value pa"ss/word-123 here' });
    expect(redactor.scrub(text)).toBe(JSON.stringify({ message: `value ${REDACTED} here` }));
  });

  it('removes GitLab tokens it was never told about', () => {
    expect(new Redactor().scrub('token glpat-abcdefghijklmnopqrst in a URL')).toBe(`token ${REDACTED} in a URL`);
  });

  it('ignores values too short to be credentials', () => {
    const redactor = new Redactor();
    redactor.add('AWS');
    expect(redactor.scrub('user AWS')).toBe('user AWS');
  });
});

describe('Function: createJsonLogger', () => {
  it('writes one JSON object per line with base fields, at or above the level, scrubbed', () => {
    const lines: string[] = [];
    const redactor = new Redactor();
    redactor.add('super-secret-value');
    const logger = createJsonLogger({ level: 'info', redactor, write: (line) => lines.push(line), base: { correlationId: 'run-1' } });
    logger.debug('hidden');
    logger.info('visible', { detail: 'super-secret-value', error: new Error('boom') });
    expect(lines).toHaveLength(1);
    const parsed = JSON.parse(lines[0] as string);
    expect(parsed).toMatchObject({ level: 'INFO', message: 'visible', correlationId: 'run-1', detail: REDACTED, error: { name: 'Error', message: 'boom' } });
  });
});
