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
  it('treats the EventBridge scheduled event as a full refresh', () => {
    expect(parseRefreshEvent({ 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} })).toEqual({ dryRun: false, selection: {}, trigger: 'schedule' });
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
