import { describe, expect, it } from 'vitest';
import { recordedExpiry, renderValue } from '../../src/core/formats/variable-formats.js';
import { UnsafeMergeError } from '../../src/errors.js';

const now = new Date('2026-11-22T06:00:00Z');
const cred = (host: string, password: string) => ({ host, username: 'AWS', password, expiresAt: new Date('2026-11-22T18:00:00Z') });

describe('Function: renderValue (registry-login)', () => {
  it('writes compact JSON keyed by host, with username, password and expiry', () => {
    const { value, hosts } = renderValue('registry-login', undefined, [cred('a.example.com', 'pw-a'), cred('B.example.com', 'pw-b')], now);
    expect(value).not.toMatch(/\s/);
    expect(JSON.parse(value)).toEqual({
      'a.example.com': { username: 'AWS', password: 'pw-a', expiresAt: '2026-11-22T18:00:00.000Z', managedBy: 'ecr-gitlab-refresher' },
      'b.example.com': { username: 'AWS', password: 'pw-b', expiresAt: '2026-11-22T18:00:00.000Z', managedBy: 'ecr-gitlab-refresher' },
    });
    expect(hosts).toEqual({ replaced: [], added: ['a.example.com', 'b.example.com'], kept: [] });
  });

  it('keeps hosts not minted in this run and replaces the rest', () => {
    const current = JSON.stringify({
      'old.example.com': { username: 'AWS', password: 'old', expiresAt: '2026-11-22T07:00:00.000Z' },
      'a.example.com': { username: 'AWS', password: 'stale', expiresAt: 'x' },
    });
    const { value, hosts, expiresAt } = renderValue('registry-login', current, [cred('a.example.com', 'fresh')], now);
    expect(JSON.parse(value)['old.example.com'].password).toBe('old');
    expect(JSON.parse(value)['a.example.com'].password).toBe('fresh');
    expect(hosts).toEqual({ replaced: ['a.example.com'], added: [], kept: ['old.example.com'] });
    expect(expiresAt).toBe('2026-11-22T07:00:00.000Z');
    expect(recordedExpiry('registry-login', value)?.expiresAt['old.example.com']).toBe('2026-11-22T07:00:00.000Z');
  });

  describe("someone else's entries", () => {
    const ecr = '111111111111.dkr.ecr.us-east-1.amazonaws.com';
    const gone = '222222222222.dkr.ecr.eu-west-1.amazonaws.com';
    const managesOnlyEcr = (host: string) => host === ecr;
    const entry = (password: string, marked = false) => ({
      username: 'u',
      password,
      expiresAt: '2026-11-22T07:00:00.000Z',
      ...(marked ? { managedBy: 'ecr-gitlab-refresher' } : {}),
    });

    it('keeps every entry of a value the tool did not create, even for hosts the config no longer manages, and marks nothing', () => {
      const current = JSON.stringify({ 'registry.example.com': entry('theirs'), [gone]: entry('old-ecr') });
      const { value, hosts, changes } = renderValue('registry-login', current, [cred(ecr, 'fresh')], now, { managesHost: managesOnlyEcr });
      const parsed = JSON.parse(value);
      expect(parsed['registry.example.com']).toEqual(entry('theirs'));
      expect(parsed[gone]).toEqual(entry('old-ecr'));
      expect(parsed[ecr]).toEqual({ username: 'AWS', password: 'fresh', expiresAt: '2026-11-22T18:00:00.000Z' });
      expect(hosts.kept).toEqual([gone, 'registry.example.com']);
      expect(changes).toEqual([]);
    });

    it('removes from its own value only its own entries of hosts no longer managed, and lists them; a foreign entry added there stays', () => {
      const current = JSON.stringify({ [gone]: entry('old-ecr', true), 'registry.example.com': entry('theirs'), [ecr]: entry('stale', true) });
      const { value, changes, expiresAt } = renderValue('registry-login', current, [cred(ecr, 'fresh')], now, { managesHost: managesOnlyEcr });
      const parsed = JSON.parse(value);
      expect(Object.keys(parsed).sort()).toEqual([ecr, 'registry.example.com']);
      expect(parsed[ecr]).toMatchObject({ password: 'fresh', managedBy: 'ecr-gitlab-refresher' });
      expect(changes).toEqual([`registry-login entry removed: ${gone} (this tool wrote it, and no registry of this variable reaches it any more)`]);
      // The foreign entry's own expiry is not the tool's to watch.
      expect(expiresAt).toBe('2026-11-22T18:00:00.000Z');
    });

    it('removes nothing when it cannot tell which hosts the variable manages', () => {
      const current = JSON.stringify({ [gone]: entry('old-ecr', true) });
      const { value, changes } = renderValue('registry-login', current, [cred(ecr, 'fresh')], now);
      expect(JSON.parse(value)[gone]).toEqual(entry('old-ecr', true));
      expect(changes).toEqual([]);
    });
  });

  it.each(['not json', '[]', '{"a.example.com":"plain"}', '{"auths":{}}'])('refuses to merge into %s', (current) => {
    expect(() => renderValue('registry-login', current, [cred('a.example.com', 'x')], now)).toThrowError(UnsafeMergeError);
  });
});

describe('Function: renderValue (docker-config)', () => {
  it('is the docker-auth merge: foreign entries kept', () => {
    const { value, hosts } = renderValue('docker-config', '{"auths":{"quay.io":{"auth":"cTpx"}},"credsStore":"ecr-login"}', [cred('a.example.com', 'pw')], now);
    expect(JSON.parse(value)).toMatchObject({ auths: { 'quay.io': { auth: 'cTpx' } }, credsStore: 'ecr-login' });
    expect(hosts.kept).toEqual(['quay.io']);
  });
});
