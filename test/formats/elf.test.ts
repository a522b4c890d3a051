import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EI_OSABI, ElfError, explainElfHeader, hasElfMagic, isSoundElfHeader, parseElfHeader } from '../../src/formats/elf.js';
import { compile, handmadeElf } from '../support/elf.js';
import { tempDir } from '../support/tmp.js';

describe('ELF headers', () => {
  it('reads the header of an object made by the host compiler', async () => {
    const object = readFileSync(compile(await tempDir(), 'a.o', 'int x;\n', ['-c']));
    expect(parseElfHeader(object)).toEqual({ bits: 64, endian: 'little', osabi: 0, abiVersion: 0, type: 1, machine: 62, ehsize: 64 });
  });

  it.each([
    [32, 'little'],
    [32, 'big'],
    [64, 'little'],
    [64, 'big'],
  ] as const)('reads ELF%i %s endian', (bits, endian) => {
    const header = parseElfHeader(handmadeElf({ bits, endian, osabi: 0x42, machine: 0x1234 }));
    expect(header).toMatchObject({ bits, endian, osabi: 0x42, type: 1, machine: 0x1234, ehsize: bits === 32 ? 52 : 64 });
  });

  it('reads a header inside a larger buffer (an archive member)', () => {
    const inner = handmadeElf({ bits: 32, endian: 'big', osabi: 9 });
    const outer = Buffer.concat([Buffer.from('x'.repeat(61)), inner, Buffer.from('tail')]);
    expect(parseElfHeader(outer, 61, inner.length)).toMatchObject({ bits: 32, endian: 'big', osabi: 9 });
    expect(outer[61 + EI_OSABI]).toBe(9);
    // The window is the member: the tail after it does not count as header bytes.
    expect(() => parseElfHeader(outer, 61, 40)).toThrow(/truncated ELF header \(40 bytes, ELF32 needs 52\)/);
  });

  it('refuses what it does not understand, saying why', () => {
    const good = handmadeElf({ bits: 64, endian: 'little' });
    const broken = (at: number, value: number): Buffer => {
      const copy = Buffer.from(good);
      copy[at] = value;
      return copy;
    };
    const cases: Array<[Buffer, RegExp]> = [
      [Buffer.from('!<arch>\n'), /not an ELF file/],
      [Buffer.alloc(0), /not an ELF file/],
      [good.subarray(0, 10), /truncated ELF header \(10 bytes, e_ident alone is 16\)/],
      [good.subarray(0, 40), /truncated ELF header \(40 bytes, ELF64 needs 64\)/],
      [broken(4, 3), /unknown ELF class 3/],
      [broken(5, 0), /unknown ELF data encoding 0/],
      [broken(6, 2), /unsupported ELF version 2 in e_ident/],
      [broken(20, 7), /unsupported ELF version 7 in e_version/],
      [broken(52, 12), /e_ehsize 12 is not sane/],
      [broken(53, 1), /e_ehsize 320 is not sane/],
    ];
    for (const [bytes, message] of cases) expect(() => parseElfHeader(bytes)).toThrow(message);
    expect(() => parseElfHeader(broken(4, 0))).toThrow(ElfError);
  });

  it('tells ELF magic apart', () => {
    expect(hasElfMagic(handmadeElf({ bits: 32, endian: 'little' }))).toBe(true);
    expect(hasElfMagic(Buffer.from('\x7fEL'))).toBe(false);
    expect(hasElfMagic(Buffer.from('#!/bin/sh\n'))).toBe(false);
  });

  it('answers "is it sound" exactly as the explaining checks do, for every single-byte change of every kind of header', () => {
    // Every header byte the checks read, set to values around the ones that matter, plus every
    // shorter window: the quick check and the explaining one must never disagree.
    const values = [0, 1, 2, 3, 0x0f, 0x34, 0x40, 0x45, 0x46, 0x4c, 0x7f, 0x80, 0xff];
    let compared = 0;
    for (const bits of [32, 64] as const) {
      for (const endian of ['little', 'big'] as const) {
        const good = handmadeElf({ bits, endian, trailing: 4 });
        for (let at = 0; at < good.length; at++) {
          for (const value of values) {
            const copy = Buffer.from(good);
            copy[at] = value;
            for (const length of [copy.length, bits === 32 ? 52 : 64, 51, 16, 3]) {
              expect([bits, endian, at, value, length, isSoundElfHeader(copy, 0, length)]).toEqual([bits, endian, at, value, length, explainElfHeader(copy, 0, length) === undefined]);
              compared++;
            }
          }
        }
      }
    }
    // Both answers occur: the comparison is not all one way.
    expect(isSoundElfHeader(handmadeElf({ bits: 64, endian: 'big' }), 0, 64)).toBe(true);
    expect(compared).toBeGreaterThan(10_000);
  });
});
