import { describe, expect, it } from 'vitest';
import { parseRelations, satisfies, simplifyDepends } from '../../src/package/relations.js';

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

  it('simplifies a Depends field as dpkg-gencontrol does (each expectation is its output)', () => {
    const cases: Array<[string, string]> = [
      ['libc6, libc6 (>= 2.36), libc6 (>= 2.34)', 'libc6 (>= 2.36)'],
      ['libbinutils (>= 2.39.50), libbinutils (>= 2.40), libbinutils (<< 2.40.1)', 'libbinutils (>= 2.40), libbinutils (<< 2.40.1)'],
      ['a | b, c, a', 'a, c'],
      ['a (>= 1), a (<< 2), a (>= 1.5)', 'a (>= 1.5), a (<< 2)'],
      ['a (= 1.0-1), a (>= 1.0)', 'a (= 1.0-1)'],
      ['a (>= 1.0), a (= 1.0-1)', 'a (= 1.0-1)'],
      ['a (>> 1), a (>= 1)', 'a (>> 1)'],
      ['a (>= 1), a (>> 1)', 'a (>> 1)'],
      ['a (<< 2), a (<= 2)', 'a (<< 2)'],
      ['a (<= 2), a (<< 2)', 'a (<< 2)'],
      ['a (= 1), a (<< 2), a (<= 0.9)', 'a (= 1), a (<= 0.9)'],
      ['a | b, a', 'a'],
      ['a, a | b', 'a'],
      ['a | b, b | a', 'b | a'],
      ['a | b, a | b | c', 'a | b'],
      ['a (>= 2:1), a (>= 3)', 'a (>= 2:1)'],
      ['a (>= 1.0~rc1), a (>= 1.0)', 'a (>= 1.0)'],
      ['p, y (>= 1), p', 'p, y (>= 1)'],
      ['b:any, b', 'b:any, b'],
    ];
    for (const [field, simplified] of cases) expect([field, simplifyDepends(field.split(', ')).join(', ')]).toEqual([field, simplified]);
    // Entries are kept as written.
    expect(simplifyDepends(['hello-hermit (= 2.40-1)', 'libc6  (>= 2.34)'])).toEqual(['hello-hermit (= 2.40-1)', 'libc6  (>= 2.34)']);
  });
});
