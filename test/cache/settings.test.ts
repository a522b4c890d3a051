import { describe, expect, it } from 'vitest';
import { normalizeRemoteUrl, parseHeaders, resolveCacheSettings } from '../../src/cache/settings.js';
import { profile } from '../support/recipes.js';

describe('cache settings', () => {
  it('reads headers as "Name: value" lines and never echoes a bad value', () => {
    expect(parseHeaders('Authorization: Bearer abc:def')).toEqual({ Authorization: 'Bearer abc:def' });
    expect(parseHeaders('X-A: 1\nX-B:  2 ')).toEqual({ 'X-A': '1', 'X-B': '2' });
    expect(parseHeaders(undefined)).toEqual({});
    expect(() => parseHeaders('Bearer secret-value')).toThrow(/HERMIT_CACHE_HEADER, line 1: must look like "Name: value"/);
    expect(() => parseHeaders('Bad Name: secret-value')).toThrow(/line 1/);
    expect(() => parseHeaders('Bad Name: secret-value')).not.toThrow(/secret-value/);
  });

  it('normalizes remote URLs and refuses credentials in them', () => {
    expect(normalizeRemoteUrl('http://cache:8080/hermit/')).toBe('http://cache:8080/hermit');
    expect(normalizeRemoteUrl('https://cache')).toBe('https://cache');
    expect(() => normalizeRemoteUrl('ftp://cache')).toThrow(/http/);
    expect(() => normalizeRemoteUrl('http://user:pw@cache')).toThrow(/HERMIT_CACHE_HEADER/);
  });

  it('lets flags win over the profile, and the environment over the profile for ccache', () => {
    const fromProfile = profile({ cache: { remote: 'http://profile/c', 'remote-write': true, ccache: true, 'ccache-remote': 'http://ccache/p' } }).cache;
    const env = { HERMIT_CACHE_HEADER: 'Authorization: Bearer t' };
    expect(resolveCacheSettings('/c', fromProfile, {}, env)).toEqual({
      artifacts: { dir: '/c/artifacts', remote: { url: 'http://profile/c', write: true, headers: { Authorization: 'Bearer t' } }, restore: true },
      ccache: { dir: '/c/ccache', remoteStorage: 'http://ccache/p' },
    });
    const flagged = resolveCacheSettings('/c', fromProfile, { remoteCache: 'http://flag', remoteCacheWrite: false, ccache: false }, { CCACHE_REMOTE_STORAGE: 'file:/x' });
    expect(flagged.artifacts?.remote).toEqual({ url: 'http://flag', write: false, headers: {} });
    expect(flagged.ccache).toBeUndefined();
    expect(resolveCacheSettings('/c', fromProfile, {}, { CCACHE_REMOTE_STORAGE: 'file:/x' }).ccache?.remoteStorage).toBe('file:/x');
    expect(resolveCacheSettings('/c', fromProfile, { artifactCache: false }, {}).artifacts).toBeUndefined();
  });

  it('defaults to a local artifact cache only', () => {
    expect(resolveCacheSettings('/c', profile().cache, {}, {})).toEqual({ artifacts: { dir: '/c/artifacts', remote: undefined, restore: true }, ccache: undefined });
    expect(resolveCacheSettings('/c', profile().cache, { restore: false }, {}).artifacts?.restore).toBe(false);
    expect(() => resolveCacheSettings('/c', profile().cache, { remoteCacheWrite: true }, {})).toThrow(/needs a remote cache/);
  });
});
