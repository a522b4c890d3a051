import { describe, expect, it } from 'vitest';
import { parseRelations, satisfies } from '../../src/package/relations.js';

describe('relation fields', () => {
  it('parses Depends with versions, alternatives and architecture qualifiers', () => {
    expect(parseRelations('libc6 (>= 2.34), a | b:any (<< 2), c [amd64]')).toEqual([
      [{ name: 'libc6', operator: '>=', version: '2.34' }],
      [
        { name: 'a', operator: undefined, version: undefined },
        { name: 'b', operator: '<<', version: '2' },
      ],
      [{ name: 'c', operator: undefined, version: undefined }],
    ]);
    expect(parseRelations(undefined)).toEqual([]);
    expect(() => parseRelations('libc6 (~ 2)')).toThrow(/cannot read the relation "libc6 \(~ 2\)"/);
  });

  it('compares versions as dpkg does', () => {
    expect(satisfies('2.36-9+deb12u4', { name: 'libc6', operator: '>=', version: '2.34' })).toBe(true);
    expect(satisfies('1:1.2.13', { name: 'z', operator: '>=', version: '1:1.1.4' })).toBe(true);
    expect(satisfies('1.2.13', { name: 'z', operator: '>=', version: '1:1.1.4' })).toBe(false);
    expect(satisfies('1.0~rc1', { name: 'x', operator: '<<', version: '1.0' })).toBe(true);
    expect(satisfies('3.3.0-1', { name: 'x', operator: '=', version: '3.3.0-1' })).toBe(true);
  });
});
