import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SpawnerBuildError, spawnerBinary, spawnerBinaryPath } from '../../src/process/spawner-binary.js';
import { tempDir } from '../support/tmp.js';

const PATH = process.env.PATH;
afterEach(() => {
  process.env.PATH = PATH;
});

describe('the step spawner program', () => {
  it('is built with cc into the cache folder once, named by its source and machine', async () => {
    const dir = await tempDir();
    const file = spawnerBinaryPath(dir);
    expect(path.dirname(file)).toBe(path.join(dir, 'spawner'));
    expect(path.basename(file)).toMatch(/^spawner-[0-9a-f]{16}$/);
    expect(await spawnerBinary(file)).toBe(file);
    expect(readFileSync(file).subarray(0, 4)).toEqual(Buffer.from('\x7fELF', 'latin1'));
    expect(statSync(file).mode & 0o111).not.toBe(0);
    // Already there: taken as it is, even by a process that did not build it (another file name
    // for the same program, so the memo of this process does not answer).
    const copy = path.join(dir, 'other', 'spawner-copy');
    mkdirSync(path.dirname(copy));
    writeFileSync(copy, readFileSync(file), { mode: 0o755 });
    process.env.PATH = dir;
    expect(await spawnerBinary(copy)).toBe(copy);
  });

  it('is built in a private temporary folder when the cache folder cannot be made or written', async () => {
    const dir = await tempDir();
    writeFileSync(path.join(dir, 'file'), '');
    const binary = await spawnerBinary(spawnerBinaryPath(path.join(dir, 'file')));
    expect(path.dirname(binary)).toMatch(new RegExp(`^${os.tmpdir()}/hermit-spawner-`));
    expect(readFileSync(binary).subarray(0, 4)).toEqual(Buffer.from('\x7fELF', 'latin1'));
  });

  it('says what is missing when there is no C compiler, and what cc said when it fails', async () => {
    const dir = await tempDir();
    process.env.PATH = path.join(dir, 'empty');
    await expect(spawnerBinary(spawnerBinaryPath(dir))).rejects.toThrow(SpawnerBuildError);
    await expect(spawnerBinary(spawnerBinaryPath(dir))).rejects.toThrow(/cannot build the step spawner \(.*\): no C compiler \(cc\) on PATH \(Debian package gcc\)$/);
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(path.join(bin, 'cc'), '#!/bin/sh\necho "cc: fatal error: no space left on device" >&2\nexit 4\n');
    chmodSync(path.join(bin, 'cc'), 0o755);
    process.env.PATH = `${bin}:/usr/bin:/bin`;
    await expect(spawnerBinary(spawnerBinaryPath(dir))).rejects.toThrow(/: cc exited with code 4: cc: fatal error: no space left on device$/);
  });
});
