import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { VersionError, compareVersions, parseVersion, versionForFileName } from '../../src/package/version.js';

/** dpkg's answer: -1, 0 or 1. */
function dpkgCompare(a: string, b: string): number {
  const holds = (op: string): boolean => {
    try {
      execFileSync('dpkg', ['--compare-versions', a, op, b], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  if (holds('lt')) return -1;
  return holds('eq') ? 0 : 1;
}

const PAIRS: Array<[string, string]> = [
  ['2.40-1', '2.40-2'],
  ['2.40-1', '2.40.1-1'],
  ['2.40', '2.40-0'],
  ['1.0~rc1-1', '1.0-1'],
  ['1.0~~a', '1.0~'],
  ['1.0+git20230101-1', '1.0-1'],
  ['1.0a', '1.0+'],
  ['1.0.', '1.0'],
  ['12.2.0-1', '6.3.0-1'],
  ['1:0.1-1', '2.40-1'],
  ['0:2.40-1', '2.40-1'],
  ['001.002', '1.2'],
  ['2.30.51-1', '2.30.51-1~bpo1'],
  ['1.2-3+deb12u4', '1.2-3'],
  ['2.36-9+deb12u14', '2.36-9+deb12u4'],
  ['1.0-1.1', '1.0-1a'],
  ['0.2.10-1', '0.2.9-1'],
];

describe('Debian versions', () => {
  it('orders versions exactly as dpkg --compare-versions does', () => {
    for (const [a, b] of PAIRS) {
      expect([a, b, Math.sign(compareVersions(a, b))]).toEqual([a, b, dpkgCompare(a, b)]);
      expect([b, a, Math.sign(compareVersions(b, a))]).toEqual([b, a, dpkgCompare(b, a)]);
    }
  });

  it('refuses what Debian Policy does not allow', () => {
    for (const bad of ['', 'a-b-c', '2.40-', '1.0 beta', 'x:1.0', '1.0-r_1', '-1']) expect(() => parseVersion(bad)).toThrow(VersionError);
    expect(parseVersion('1:2.40-1-2')).toEqual({ epoch: 1, upstream: '2.40-1', revision: '2' });
    expect(versionForFileName('1:2.40-1')).toBe('2.40-1');
  });
});
