import { describe, expect, it } from 'vitest';
import { formatSize, parseSize } from '../../src/cache/size.js';

describe('sizes', () => {
  it('reads decimal and binary units like ccache', () => {
    expect(parseSize('1048576')).toBe(1048576);
    expect(parseSize('500M')).toBe(500_000_000);
    expect(parseSize('10G')).toBe(10_000_000_000);
    expect(parseSize('1.5k')).toBe(1500);
    expect(parseSize('512Mi')).toBe(512 * 1024 ** 2);
    expect(parseSize('2GiB')).toBe(2 * 1024 ** 3);
    expect(parseSize(' 3 gb ')).toBe(3_000_000_000);
  });
  it('refuses what is not a size', () => {
    for (const text of ['', 'lots', '-1G', '5X', '1e9']) expect(() => parseSize(text)).toThrow(/is not a size/);
  });
  it('prints short figures', () => {
    expect(formatSize(999)).toBe('999 B');
    expect(formatSize(6700)).toBe('6.7 kB');
    expect(formatSize(123_456_789)).toBe('123 MB');
  });
  it('prints memory and disk figures in MiB or GiB', () => {
    expect(formatSize(512 * 1024 ** 2, 'binary')).toBe('512 MiB');
    expect(formatSize(2 * 1024 ** 3, 'binary')).toBe('2.0 GiB');
    expect(formatSize(15.6 * 1024 ** 3, 'binary')).toBe('15.6 GiB');
  });
});
