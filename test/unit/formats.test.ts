import { describe, expect, it } from 'vitest';
import { recordedExpiry, renderValue } from '../../src/core/formats.js';
import { UnsafeMergeError } from '../../src/errors.js';

const now = new Date('2026-11-22T06:00:00Z');
const cred = (host: string, password: string) => ({ host, username: 'AWS', password, expiresAt: new Date('2026-11-22T18:00:00Z') });

describe('Function: renderValue (registry-login)', () => {
  it('writes compact JSON keyed by host, with username, password and expiry', () => {
    const { value, hosts } = renderValue('registry-login', undefined, [cred('a.example.com', 'pw-a'), cred('B.example.com', 'pw-b')], now);
    expect(value).not.toMatch(/\s/);
    expect(JSON.parse(value)).toEqual({
      'a.example.com': { username: 'AWS', password: 'pw-a', expiresAt: '2026-11-22T18:00:00.000Z' },
      'b.example.com': { username: 'AWS', password: 'pw-b', expiresAt: '2026-11-22T18:00:00.000Z' },
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
