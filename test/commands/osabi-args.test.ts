import { describe, expect, it } from 'vitest';
import { OSABI_OPTIONS, parseOsabiArgs } from '../../src/commands/osabi-args.js';
import { program } from '../../src/program.js';

describe('osabi arguments read without the full command line', () => {
  it('reads the plain forms', () => {
    expect(parseOsabiArgs(['--set', 'Standalone', 'a.o', 'lib.a'])).toEqual({
      files: ['a.o', 'lib.a'],
      options: { set: 'Standalone', get: undefined, inputOsabi: undefined, verbose: undefined },
    });
    expect(parseOsabiArgs(['a.o', '--set=0x42', '-v', '--input-osabi', 'none'])).toEqual({
      files: ['a.o'],
      options: { set: '0x42', get: undefined, inputOsabi: 'none', verbose: true },
    });
    expect(parseOsabiArgs(['--get', '--', '-odd-name.o'])?.files).toEqual(['-odd-name.o']);
  });

  it('leaves everything else to the full command line, which explains it', () => {
    for (const args of [[], ['--set', 'GNU'], ['--help'], ['-h', 'a.o'], ['--work', 'w', '--get', 'a.o'], ['--set'], ['--bogus', 'a.o'], ['--get=yes', 'a.o']]) {
      expect([args, parseOsabiArgs(args)]).toEqual([args, undefined]);
    }
  });

  it('knows exactly the options the full command line defines for osabi', () => {
    const osabi = program().commands.find((command) => command.name() === 'osabi')!;
    expect(osabi.options.map((option) => option.flags).sort()).toEqual(Object.values(OSABI_OPTIONS).map((option) => option.flags).sort());
    // And reads them into the same option names.
    const direct = parseOsabiArgs(['--set', 'GNU', '--input-osabi', 'none', '-v', 'a.o'])!;
    expect(osabi.options.map((option) => option.attributeName()).sort()).toEqual(Object.keys(direct.options).sort());
  });
});
