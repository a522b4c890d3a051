import { describe, expect, it } from 'vitest';
import { ControlError, field, formatDescription, formatStanza, parseStanza, parseStanzas, pinOwnDepends, wrap } from '../../src/package/control.js';

describe('control data', () => {
  it('formats and parses stanzas, multi-line fields included', () => {
    const text = formatStanza([
      ['Package', 'binutils-hermit'],
      ['Version', '2.40-1'],
      ['Description', formatDescription('GNU binary tools for x86_64-hermit', 'First paragraph\nstill first.\n\n  * a list item\n')],
    ]);
    expect(text).toBe(
      'Package: binutils-hermit\nVersion: 2.40-1\nDescription: GNU binary tools for x86_64-hermit\n First paragraph\n still first.\n .\n   * a list item\n',
    );
    const stanza = parseStanza(text, 'control');
    expect(field(stanza, 'package')).toBe('binutils-hermit');
    expect(formatStanza(stanza)).toBe(text);
  });

  it('splits a Packages file into stanzas and reports bad lines with their place', () => {
    expect(parseStanzas('A: 1\n\nA: 2\nB: x\n y\n\n', 'Packages').map((s) => field(s, 'A'))).toEqual(['1', '2']);
    expect(() => parseStanza(' orphan\n', 'control')).toThrow(/control:1: continuation line/);
    expect(() => parseStanza('A: 1\nnot a field\n', 'control')).toThrow(ControlError);
    expect(() => parseStanza('A: 1\na: 2\n', 'control')).toThrow(/appears twice/);
    expect(() => parseStanza('A: 1\n\nB: 2\n', 'control')).toThrow(/one stanza/);
  });

  it('pins our own packages to the exact version and keeps other relations', () => {
    const own = new Map([
      ['binutils-hermit', '2.40-1'],
      ['newlib-hermit', '3.3.0-1'],
    ]);
    expect(pinOwnDepends(['binutils-hermit', 'make (>= 4)', 'newlib-hermit | libc6-dev'], own)).toEqual([
      'binutils-hermit (= 2.40-1)',
      'make (>= 4)',
      'newlib-hermit (= 3.3.0-1) | libc6-dev',
    ]);
  });

  it('wraps words at the width', () => {
    expect(wrap('aaa bbb ccc ddd', 7)).toEqual(['aaa bbb', 'ccc ddd']);
    expect(wrap('averyveryverylongword x', 5)).toEqual(['averyveryverylongword', 'x']);
  });
});
