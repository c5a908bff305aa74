import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCli } from '../../src/cli/args.js';
import { ConfigError } from '../../src/errors.js';
import { parseRefreshEvent } from '../../src/handlers/refresh-event.js';

describe('Function: parseCli', () => {
  it('collects repeated --target, --profile and --registry and takes the config from the environment', () => {
    const command = parseCli(['refresh', '--dry-run', '--target', 'project:a/b', '--target', 'instance', '--profile', 'prod', '--registry', 'prod', '--json'], {
      REFRESHER_CONFIG: 'x.yml',
    });
    expect(command).toEqual({
      name: 'refresh',
      configPath: 'x.yml',
      dryRun: true,
      json: true,
      verbose: false,
      targets: ['project:a/b', 'instance'],
      registries: ['prod'],
      profiles: ['prod'],
    });
  });

  it('prefers --config and defaults to ./refresher.config.yml', () => {
    expect(parseCli(['refresh', '--config', 'a.yml'], { REFRESHER_CONFIG: 'x.yml' }).configPath).toBe('a.yml');
    expect(parseCli(['validate-config'], {}).configPath).toBe('refresher.config.yml');
  });

  it.each([[['refresh', '--bogus']], [['frobnicate']], [['refresh', 'extra']], [['refresh', '--target']]])('refuses %j as a usage error', (argv) => {
    expect(() => parseCli(argv, {})).toThrowError(ConfigError);
  });
});

describe('Function: parseRefreshEvent', () => {
  const scheduled = JSON.parse(readFileSync('events/scheduled.json', 'utf8'));

  it("treats the EventBridge scheduled event (and EventBridge Scheduler's) as a full refresh", () => {
    expect(parseRefreshEvent(scheduled)).toEqual({ dryRun: false, selection: {}, trigger: 'schedule' });
    expect(parseRefreshEvent({ 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} })).toEqual({ dryRun: false, selection: {}, trigger: 'schedule' });
    expect(parseRefreshEvent({ ...scheduled, source: 'aws.scheduler' }).trigger).toBe('schedule');
  });

  it.each([
    [{ dryRun: true }, 'event.dryRun: not part of a scheduled event (EventBridge never sends it), so it would be ignored and everything written; for a manual run invoke with'],
    [{ targets: ['project:a/b'] }, 'event.targets: not part of a scheduled event'],
    [{ registries: ['prod'] }, 'event.registries: not part of a scheduled event'],
    [{ note: 'copied' }, 'event.note: unknown key'],
    [{ detail: { dryRun: true } }, "event.detail.dryRun: a scheduled event's detail is empty"],
    [{ 'detail-type': 'Object Created' }, 'event.detail-type: expected "Scheduled Event"'],
    [{ source: 'my.app' }, 'event.source: expected "aws.events" or "aws.scheduler"'],
    [{ resources: 'arn:aws:events:us-east-1:123456789012:rule/x' }, 'event.resources: expected a list of strings'],
    [{ detail: 'dryRun' }, 'event.detail: expected an object'],
  ])('refuses a scheduled event changed by %j (field path and why)', (change, expected) => {
    const error = (() => {
      try {
        parseRefreshEvent({ ...scheduled, ...change });
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.join('\n')).toContain(expected);
  });

  it("takes an event with only some of EventBridge's keys for a scheduled one only when it says so", () => {
    expect(() => parseRefreshEvent({ detail: {} })).toThrowError('event.detail-type: expected "Scheduled Event"');
  });

  it('reads a manual event', () => {
    expect(parseRefreshEvent({ dryRun: true, targets: ['group:platform'], registries: ['prod'] })).toEqual({
      dryRun: true,
      selection: { targets: ['group:platform'], registries: ['prod'] },
      trigger: 'manual',
    });
    expect(parseRefreshEvent(undefined).dryRun).toBe(false);
  });

  it.each([
    [{ dryrun: true }, 'event.dryrun: unknown key'],
    [{ dryRun: 'yes' }, 'event.dryRun:'],
    [{ targets: 'project:a/b' }, 'event.targets:'],
    [[1, 2], 'event:'],
  ])('refuses %j', (event, expected) => {
    try {
      parseRefreshEvent(event);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems.join('\n')).toContain(expected);
    }
  });
});
