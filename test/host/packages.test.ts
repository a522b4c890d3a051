import { describe, expect, it } from 'vitest';
import { COMMAND_PACKAGES, packageForCommand } from '../../src/host/packages.js';
import { impliedTools, toolRequirements } from '../../src/host/requirements.js';
import { recipe } from '../support/recipes.js';

describe('Debian packages for commands', () => {
  it('knows the packages whose name differs from the command', () => {
    expect(packageForCommand('makeinfo')).toEqual({ package: 'texinfo', known: true });
    expect(packageForCommand('hexdump')).toEqual({ package: 'bsdextrautils', known: true });
    expect(packageForCommand('xz')).toEqual({ package: 'xz-utils', known: true });
    expect(packageForCommand('dpkg-deb')).toEqual({ package: 'dpkg', known: true });
    expect(packageForCommand('strip')).toEqual({ package: 'binutils', known: true });
  });

  it('guesses for commands it does not know, and says so', () => {
    expect(packageForCommand('gcc-12')).toEqual({ package: 'gcc-12', known: false });
    expect(packageForCommand('python3.11')).toEqual({ package: 'python3.11', known: false });
    expect(packageForCommand('x86_64-linux-gnu-readelf')).toEqual({ package: 'binutils', known: false });
    expect(packageForCommand('ninja')).toEqual({ package: 'ninja', known: false });
    expect(packageForCommand('Foo_Bar')).toEqual({ package: 'foo-bar', known: false });
  });

  it('maps every command to a valid Debian package name', () => {
    for (const [command, pkg] of Object.entries(COMMAND_PACKAGES)) expect([command, pkg]).toEqual([command, expect.stringMatching(/^[a-z0-9][a-z0-9.+-]+$/)]);
  });
});

describe('tool requirements', () => {
  it('adds what a recipe implies to what it declares', () => {
    const gcc = recipe('gcc', {
      source: { url: 'https://example.org/gcc-12.2.0.tar.xz', sha256: 'a'.repeat(64) },
      patches: 'patches/gcc',
      tools: ['makeinfo'],
      configure: [['{src}/configure', '--target={target}']],
      build: [['make']],
      install: [['sh', '-c', 'make install'], ['/usr/bin/install', 'x', 'y']],
      package: { name: 'gcc-hermit' },
    });
    expect(impliedTools(gcc, 'xz')).toEqual(['cc', 'make', 'sh', 'patch', 'tar', 'find', 'xz', 'xz', 'strip', 'dpkg', 'dpkg-shlibdeps']);
    const git = recipe('lwip', { source: { git: { url: 'https://example.org/lwip.git', commit: 'b'.repeat(40) } } });
    // Its unpack takes a job slot, and the spawner cc builds makes the jobserver.
    expect(impliedTools(git, 'xz')).toEqual(['cc', 'git']);
    expect(impliedTools(recipe('newlib', { source: { url: 'https://example.org/newlib-3.3.0.tar.gz', sha256: 'c'.repeat(64) } }), undefined)).toEqual(['cc', 'tar', 'find', 'gzip']);
  });

  it('lists each command once with the recipes needing it, in name order', () => {
    const requirements = toolRequirements(
      [recipe('b', { tools: ['make', 'cmake'] }), recipe('a', { tools: ['make'], package: { name: 'a-hermit' } })],
      'zstd',
    );
    expect(requirements).toEqual([
      // a's package task takes a job slot, so a starts the spawner; b has no task at all.
      { command: 'cc', neededBy: ['a'] },
      { command: 'cmake', neededBy: ['b'] },
      { command: 'dpkg', neededBy: ['a'] },
      { command: 'dpkg-shlibdeps', neededBy: ['a'] },
      { command: 'make', neededBy: ['a', 'b'] },
      { command: 'strip', neededBy: ['a'] },
      { command: 'zstd', neededBy: ['a'] },
    ]);
  });
});
