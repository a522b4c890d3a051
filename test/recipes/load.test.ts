import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { loadToolchain } from '../../src/recipes/load.js';
import { tempDir } from '../support/tmp.js';

const MINIMAL = 'name: demo\nversion: "1.0"\nsummary: a demo\nlicense: MIT\n';

async function toolchainWith(files: Record<string, string>): Promise<string> {
  const dir = await tempDir();
  mkdirSync(path.join(dir, 'recipes'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

async function loadError(files: Record<string, string>): Promise<ConfigError> {
  const dir = await toolchainWith(files);
  const error = await loadToolchain(dir).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe('loading a toolchain', () => {
  it('loads recipes with defaults and the profile with its defaults', async () => {
    const dir = await toolchainWith({ 'recipes/demo.yaml': MINIMAL });
    const toolchain = await loadToolchain(dir);
    expect(toolchain.profile).toMatchObject({ target: 'x86_64-hermit', prefix: '/opt/hermit', osabi: 'Standalone', osabiValue: 255, revision: '1' });
    const demo = toolchain.recipes.get('demo')!;
    expect(demo).toMatchObject({ needs: [], configure: [], build: [], install: [], osabi: [] });
    expect(demo.file).toBe(path.join(dir, 'recipes/demo.yaml'));
  });

  it('reads profile values, including a numeric OS/ABI', async () => {
    const dir = await toolchainWith({ 'recipes/demo.yaml': MINIMAL, 'toolchain.yaml': 'osabi: 0x42\nrevision: "2"\nsource-date-epoch: 5\n' });
    const { profile } = await loadToolchain(dir);
    expect(profile).toMatchObject({ osabiValue: 66, revision: '2', sourceDateEpoch: 5 });
  });

  it('names the file, key path and line of an unknown key', async () => {
    const error = await loadError({ 'recipes/demo.yaml': `${MINIMAL}bulid:\n  - [make]\n` });
    expect(error.message).toMatch(/recipes\/demo\.yaml:5: bulid: unknown key$/);
  });

  it('reports every schema problem of every recipe, each located, in file order (like tsc)', async () => {
    const broken = 'name: demo\nversion: 1.0\nsummary: a demo\nbulid:\n  - [make]\nsource:\n  url: https://x.org/a.tar.gz\n  sha256: abc\ninstal: []\n';
    const error = await loadError({ 'recipes/demo.yaml': broken, 'recipes/other.yaml': 'name: other\nversion: "1"\nsummary: s\nlicense: MIT\ntools: 3\n' });
    const lines = [error.message, ...error.details];
    expect(lines.map((line) => line.replace(/^.*\/recipes\//, ''))).toEqual([
      'demo.yaml:1: license: Invalid input: expected string, received undefined',
      'demo.yaml:2: version: Invalid input: expected string, received number; quote it ("...") — YAML reads it as a number',
      'demo.yaml:4: bulid: unknown key',
      'demo.yaml:8: source.sha256: must be 64 lowercase hex digits',
      'demo.yaml:9: instal: unknown key',
      expect.stringMatching(/^other\.yaml:5: tools: /),
    ]);
  });

  it('names a missing required key', async () => {
    const error = await loadError({ 'recipes/demo.yaml': 'name: demo\nversion: "1"\nsummary: s\n' });
    expect(error.message).toMatch(/demo\.yaml:1: license: /);
  });

  it('names the nested key path of a bad value and its line', async () => {
    const error = await loadError({ 'recipes/demo.yaml': `${MINIMAL}source:\n  url: https://x.org/a.tar.gz\n  sha256: abc\n` });
    expect(error.message).toMatch(/demo\.yaml:7: source\.sha256: must be 64 lowercase hex digits/);
  });

  it('gives the line of a YAML syntax error', async () => {
    const error = await loadError({ 'recipes/demo.yaml': `${MINIMAL}homepage: a: b\nneeds: []\n` });
    expect(error.line).toBe(5);
    expect(error.message).toMatch(/demo\.yaml:5: YAML syntax error: /);
  });

  it('explains an unquoted placeholder', async () => {
    const error = await loadError({ 'recipes/demo.yaml': `${MINIMAL}configure:\n  - [{src}/configure, --prefix=/x]\n` });
    expect(error.message).toMatch(/must be quoted/);
    const block = await loadError({ 'recipes/demo.yaml': `${MINIMAL}configure:\n  -\n    - {src}\n` });
    expect(block.message).toMatch(/configure\.0\.0: .*must be quoted/);
  });

  it('refuses a recipe whose name differs from its file name', async () => {
    const error = await loadError({ 'recipes/other.yaml': MINIMAL });
    expect(error.message).toMatch(/other\.yaml: name: is "demo" but the file is named other\.yaml/);
  });

  it('refuses two recipes with the same package name, naming both files', async () => {
    const packaged = (name: string): string => `${MINIMAL.replace('demo', name)}package:\n  name: demo-hermit\n`;
    const error = await loadError({ 'recipes/one.yaml': packaged('one'), 'recipes/two.yaml': packaged('two') });
    expect(error.message).toMatch(/^\S+\/recipes\/two\.yaml: package\.name: package "demo-hermit" is also built by \S+\/recipes\/one\.yaml; give each recipe its own package name$/);
  });

  it('refuses a `continues` with a source or configure of its own, one not among the needs, and a chain of them', async () => {
    const named = (name: string, extra: string): string => `${MINIMAL.replace('demo', name)}${extra}`;
    const base = { 'recipes/first.yaml': named('first', 'configure:\n  - [./configure]\n') };
    const cases: Array<[string, RegExp]> = [
      ['continues: first\nneeds: [first]\nsource:\n  url: https://example.org/a.tar.gz\n  sha256: ' + 'a'.repeat(64) + '\n', /then\.yaml(:\d+)?: source: not used with `continues`: the recipe builds in the tree of first$/],
      ['continues: first\nneeds: [first]\nconfigure:\n  - [./configure]\n', /then\.yaml(:\d+)?: configure: not used with `continues`: first configured the build folder$/],
      ['continues: first\n', /then\.yaml(:\d+)?: continues: names "first", which must also be among the recipe's needs$/],
    ];
    for (const [extra, message] of cases) {
      const error = await loadError({ ...base, 'recipes/then.yaml': named('then', extra) });
      expect(error.message).toMatch(message);
    }
    const chain = await loadError({
      ...base,
      'recipes/then.yaml': named('then', 'continues: first\nneeds: [first]\n'),
      'recipes/last.yaml': named('last', 'continues: then\nneeds: [then]\n'),
    });
    expect(chain.message).toMatch(/last\.yaml(:\d+)?: continues: names "then", which itself continues "first": continue "first" instead$/);
  });

  it('checks that a patch folder exists, relative to the toolchain directory', async () => {
    const error = await loadError({ 'recipes/demo.yaml': `${MINIMAL}patches: patches/demo\n` });
    expect(error.message).toMatch(/patches: folder .*patches\/demo does not exist/);
    const dir = await toolchainWith({ 'recipes/demo.yaml': `${MINIMAL}patches: patches/demo\n`, 'patches/demo/0001-x.patch': '' });
    expect((await loadToolchain(dir)).recipes.get('demo')!.patchDir).toBe(path.join(dir, 'patches/demo'));
  });

  it('validates the profile with file, key and line', async () => {
    const error = await loadError({ 'recipes/demo.yaml': MINIMAL, 'toolchain.yaml': 'target: x86_64-hermit\nosabi: Plan9\n' });
    expect(error.message).toMatch(/toolchain\.yaml:2: osabi: must be 0-255 or one of/);
    const unknown = await loadError({ 'recipes/demo.yaml': MINIMAL, 'toolchain.yaml': 'tagret: x\n' });
    expect(unknown.message).toMatch(/toolchain\.yaml:1: tagret: unknown key/);
  });

  it('refuses a profile named in place of toolchain.yaml that is missing or a directory; toolchain.yaml itself may be missing', async () => {
    const dir = await toolchainWith({ 'recipes/demo.yaml': MINIMAL });
    expect((await loadToolchain(dir)).profile.target).toBe('x86_64-hermit');
    const missing = path.join(dir, 'nonexistent.yaml');
    await expect(loadToolchain(dir, { profileFile: missing })).rejects.toThrow(new ConfigError(missing, undefined, 'no such profile file'));
    await expect(loadToolchain(dir, { profileFile: path.join(dir, 'recipes') })).rejects.toThrow(`${path.join(dir, 'recipes')}: is a directory, not a profile file`);
  });

  it('refuses a source with both url and git, or a url without checksum', async () => {
    const both = await loadError({
      'recipes/demo.yaml': `${MINIMAL}source:\n  url: https://x.org/a.tar.gz\n  sha256: ${'a'.repeat(64)}\n  git: {url: x, commit: ${'b'.repeat(40)}}\n`,
    });
    expect(both.message).toMatch(/source: give exactly one of `url` or `git`/);
    const bare = await loadError({ 'recipes/demo.yaml': `${MINIMAL}source:\n  url: https://x.org/a.tar.gz\n` });
    expect(bare.message).toMatch(/source\.sha256: a url source needs its sha256/);
  });

  it('says when a directory is not a toolchain', async () => {
    const dir = await tempDir();
    await expect(loadToolchain(dir)).rejects.toThrow(/has no recipes\/ folder/);
  });
});

describe('loader hints', () => {
  it('says to quote a version YAML reads as a number', async () => {
    const dir = await toolchainWith({ 'recipes/demo.yaml': 'name: demo\nversion: 2.40\nsummary: s\nlicense: MIT\n' });
    await expect(loadToolchain(dir)).rejects.toThrow(/demo\.yaml:2: version: .*quote it \("\.\.\."\) — YAML reads it as a number/);
  });

  it('checks the patch folder of an alternate and turns premirror folders into file URLs', async () => {
    const alternate = `source:\n  url: https://x.org/a.tar.gz\n  sha256: "${'a'.repeat(64)}"\n  alternates:\n    - deb: { package: a-source, version: "1", sha256: "${'b'.repeat(64)}" }\n      file: usr/src/a.tar.gz\n      sha256: "${'c'.repeat(64)}"\n      patches: patches/nope\n`;
    const error = await loadError({ 'recipes/demo.yaml': MINIMAL + alternate });
    expect(error.message).toMatch(/source\.alternates\.0\.patches: folder .*patches\/nope does not exist/);
    const dir = await toolchainWith({ 'recipes/demo.yaml': MINIMAL, 'toolchain.yaml': 'mirrors: [mirror-folder, "https://mirror.example/pub/"]\n' });
    expect((await loadToolchain(dir)).profile.mirrors).toEqual([`file://${dir}/mirror-folder`, 'https://mirror.example/pub']);
  });
});
