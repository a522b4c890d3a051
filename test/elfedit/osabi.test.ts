import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, linkSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { getOsabi, setOsabi, spansOf } from '../../src/elfedit/osabi.js';
import { osabiCommand } from '../../src/commands/osabi.js';
import { handmadeElf, hostElfFiles } from '../support/elf.js';
import { tempDir } from '../support/tmp.js';

function capture(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString() };
}

async function run(files: string[], options: Parameters<typeof osabiCommand>[1]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = capture();
  const stderr = capture();
  const code = await osabiCommand(files, options, { stdout: stdout.stream, stderr: stderr.stream });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** What the system readelf says a file's (or each member's) OS/ABI is. */
function readelfOsabi(file: string): string[] {
  const out = execFileSync('readelf', ['-h', file]).toString();
  return [...out.matchAll(/^\s*OS\/ABI:\s+(.+)$/gm)].map((m) => m[1]!.trim());
}

/** The files every comparison runs on: objects, an executable, a shared object, archives. */
async function sampleFiles(): Promise<{ dir: string; files: string[] }> {
  const dir = await tempDir();
  const { objects, executable, shared } = hostElfFiles(dir);
  execFileSync('ar', ['rc', 'libgnu.a', ...objects.map((o) => path.basename(o))], { cwd: dir });
  execFileSync('ar', ['rcs', 'libindexed.a', ...objects.map((o) => path.basename(o))], { cwd: dir });
  const handmade = (['little', 'big'] as const).flatMap((endian) =>
    ([32, 64] as const).map((bits) => {
      const file = path.join(dir, `elf${bits}-${endian}`);
      writeFileSync(file, handmadeElf({ bits, endian, trailing: 8 }));
      return file;
    }),
  );
  const files = [...objects, executable, shared, path.join(dir, 'libgnu.a'), path.join(dir, 'libindexed.a'), ...handmade];
  return { dir, files };
}

/** Copies the files into two folders, one for elfedit and one for us. */
function twoCopies(dir: string, files: string[]): { theirs: string[]; ours: string[] } {
  const copy = (sub: string): string[] => {
    mkdirSync(path.join(dir, sub), { recursive: true });
    return files.map((file) => {
      const target = path.join(dir, sub, path.basename(file));
      copyFileSync(file, target);
      return target;
    });
  };
  return { theirs: copy('theirs'), ours: copy('ours') };
}

describe('setting the OS/ABI like elfedit', () => {
  it('writes byte for byte what elfedit --output-osabi writes, for every kind of file', async () => {
    const { dir, files } = await sampleFiles();
    const { theirs, ours } = twoCopies(dir, files);
    for (const name of ['FreeBSD', 'linux', 'none', 'OpenBSD']) {
      execFileSync('elfedit', ['--output-osabi', name, ...theirs]);
      expect(await run(ours, { set: name })).toEqual({ code: 0, stdout: '', stderr: '' });
      for (const [i, file] of files.entries()) {
        expect([name, path.basename(file), readFileSync(ours[i]!).equals(readFileSync(theirs[i]!))]).toEqual([name, path.basename(file), true]);
      }
    }
    // And the bytes did change: the last name is what readelf reports for every member.
    expect(readelfOsabi(ours[5]!)).toEqual(['UNIX - OpenBSD', 'UNIX - OpenBSD']);
  });

  it('sets HermitCore (0x42) and Standalone (0xff), as readelf shows', async () => {
    const { files } = await sampleFiles();
    const targets = files.slice(0, 6);
    expect((await run(targets, { set: 'HermitCore' })).code).toBe(0);
    for (const file of targets) for (const shown of readelfOsabi(file)) expect(shown).toBe('<unknown: 42>');
    expect((await run(targets, { set: 'standalone' })).code).toBe(0);
    for (const file of targets) for (const shown of readelfOsabi(file)) expect(shown).toBe('<unknown: ff>');
    expect(readelfOsabi(files[4]!)).toHaveLength(2); // the archive's two members
  });

  it('changes nothing but the OS/ABI bytes of ELF32 and big-endian files', async () => {
    const { files } = await sampleFiles();
    const handmade = files.slice(-4);
    const before = handmade.map((file) => readFileSync(file));
    expect((await run(handmade, { set: '0x42' })).code).toBe(0);
    for (const [i, file] of handmade.entries()) {
      const expected = Buffer.from(before[i]!);
      expected[7] = 0x42;
      expect(readFileSync(file)).toEqual(expected);
    }
  });

  it('with --input-osabi, changes only the headers that hold that value, as elfedit does', async () => {
    const dir = await tempDir();
    const { objects } = hostElfFiles(dir);
    execFileSync('elfedit', ['--output-osabi', 'FreeBSD', objects[1]!]);
    execFileSync('ar', ['rc', 'mixed.a', ...objects.map((o) => path.basename(o))], { cwd: dir });
    const { theirs, ours } = twoCopies(dir, [path.join(dir, 'mixed.a'), ...objects]);
    // elfedit complains about (and exits 1 for) the headers it leaves alone; we count them.
    spawnSync('elfedit', ['--input-osabi', 'none', '--output-osabi', 'NetBSD', ...theirs]);
    const result = await run(ours, { set: 'NetBSD', inputOsabi: 'none', verbose: true });
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')).toEqual([
      `${ours[0]}: 1 of 2 ELF headers set to NetBSD (0x02), 1 left alone (other OS/ABI)`,
      `${ours[1]}: 1 of 1 ELF header set to NetBSD (0x02)`,
      `${ours[2]}: 0 of 1 ELF header set to NetBSD (0x02), 1 left alone (other OS/ABI)`,
      '',
    ]);
    for (const [i, file] of ours.entries()) expect(readFileSync(file).equals(readFileSync(theirs[i]!))).toBe(true);
    expect(readelfOsabi(ours[0]!)).toEqual(['UNIX - NetBSD', 'UNIX - FreeBSD']);
  });

  it('does not rewrite a file that already has the value (its mtime stays)', async () => {
    const { files } = await sampleFiles();
    const archive = files[4]!;
    await setOsabi([archive], { value: 0xff });
    utimesSync(archive, new Date(1_000_000_000_000), new Date(1_000_000_000_000));
    const [result] = await setOsabi([archive], { value: 0xff });
    expect(result).toMatchObject({ changed: 0, unchanged: 2, skipped: 0, problems: [] });
    expect(statSync(archive).mtimeMs).toBe(1_000_000_000_000);
  });

  it('takes a file named twice, or through a hard link, in turns', async () => {
    const { dir, files } = await sampleFiles();
    const archive = files[4]!;
    const link = path.join(dir, 'same.a');
    linkSync(archive, link);
    const results = await setOsabi([archive, files[0]!, archive, link], { value: 0x42 });
    expect(results.map((r) => [r.changed, r.unchanged, r.problems])).toEqual([
      [2, 0, []],
      [1, 0, []],
      [0, 2, []],
      [0, 2, []],
    ]);
  });

  it('edits in place: hard links see the change, the mode stays', async () => {
    const { dir, files } = await sampleFiles();
    const archive = files[4]!;
    const link = path.join(dir, 'link.a');
    linkSync(archive, link);
    execFileSync('chmod', ['640', archive]);
    await setOsabi([archive], { value: 0x42 });
    expect(readelfOsabi(link)).toEqual(['<unknown: 42>', '<unknown: 42>']);
    expect(statSync(archive).mode & 0o777).toBe(0o640);
    expect(statSync(archive).ino).toBe(statSync(link).ino);
  });
});

describe('refusing files', () => {
  it('refuses non-ELF files, truncated headers, thin archives and archives with a non-ELF member, byte for byte untouched, and still does the rest', async () => {
    const dir = await tempDir();
    const { objects } = hostElfFiles(dir);
    writeFileSync(path.join(dir, 'note.txt'), 'hello\n');
    writeFileSync(path.join(dir, 'truncated.o'), readFileSync(objects[0]!).subarray(0, 40));
    execFileSync('ar', ['rc', 'mixed.a', 'a.o', 'note.txt'], { cwd: dir });
    execFileSync('ar', ['rcT', 'thin.a', 'a.o'], { cwd: dir });
    const refused = ['note.txt', 'truncated.o', 'mixed.a', 'thin.a'].map((name) => path.join(dir, name));
    const before = refused.map((file) => [readFileSync(file), statSync(file).mtimeMs] as const);
    const thinTarget = readFileSync(objects[0]!);
    const good = objects[1]!;

    const result = await run([refused[0]!, good, ...refused.slice(1), path.join(dir, 'missing.o')], { set: 'Standalone' });
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n')).toEqual([
      `osabi: ${refused[0]}: refused: neither an ELF file nor an ar archive`,
      `osabi: ${refused[1]}: refused: truncated ELF header (40 bytes, ELF64 needs 64)`,
      `osabi: ${refused[2]}: refused: ${refused[2]}(note.txt): not an ELF file (no \\x7fELF magic)`,
      `osabi: ${refused[3]}: refused: thin archive: its members live in other files, change those instead`,
      expect.stringMatching(/^osabi: .*missing\.o: refused: cannot open it: ENOENT/),
      '',
    ]);
    for (const [i, file] of refused.entries()) {
      expect(readFileSync(file).equals(before[i]![0])).toBe(true);
      expect(statSync(file).mtimeMs).toBe(before[i]![1]);
    }
    // Unlike elfedit, the thin archive's member (a file of its own) is not touched through it.
    expect(readFileSync(objects[0]!).equals(thinTarget)).toBe(true);
    expect(readelfOsabi(good)).toEqual(['<unknown: ff>']);
  });

  it('refuses bad usage with one clear line', async () => {
    const { files } = await sampleFiles();
    await expect(run(files, {})).rejects.toThrow('give exactly one of --set NAME|NUMBER and --get');
    await expect(run(files, { set: 'GNU', get: true })).rejects.toThrow('give exactly one');
    await expect(run(files, { get: true, inputOsabi: 'none' })).rejects.toThrow('--input-osabi goes with --set');
    await expect(run(files, { set: 'Hermit' })).rejects.toThrow(/--set "Hermit": not an OS\/ABI name or a number 0-255 \(names: none, HPUX/);
    await expect(run(files, { set: '256' })).rejects.toThrow(/not an OS\/ABI name/);
  });
});

describe('reading the OS/ABI', () => {
  it('prints one line per file and per archive member', async () => {
    const dir = await tempDir();
    const { objects } = hostElfFiles(dir);
    execFileSync('elfedit', ['--output-osabi', 'GNU', objects[0]!]);
    execFileSync('ar', ['rc', 'libc.a', ...objects.map((o) => path.basename(o))], { cwd: dir });
    await setOsabi([objects[1]!], { value: 0xff });
    writeFileSync(path.join(dir, 'note.txt'), 'hi\n');
    const archive = path.join(dir, 'libc.a');
    const result = await run([objects[1]!, archive, path.join(dir, 'note.txt')], { get: true });
    expect(result.stdout).toBe(
      [`${objects[1]}: Standalone (0xff)`, `${archive}(a.o): GNU (0x03)`, `${archive}(a-long-member-name.o): none (0x00)`, ''].join('\n'),
    );
    expect(result.stderr).toBe(`osabi: ${path.join(dir, 'note.txt')}: cannot read the OS/ABI: neither an ELF file nor an ar archive\n`);
    expect(result.code).toBe(1);
    expect((await getOsabi([archive, objects[1]!])).map((r) => r.readings)).toEqual([
      [
        { member: 'a.o', value: 3 },
        { member: 'a-long-member-name.o', value: 0 },
      ],
      [{ member: undefined, value: 0xff }],
    ]);
  });
});

describe('archives with broken names', () => {
  it('sets the OS/ABI (names are not needed) but cannot list the members', async () => {
    const dir = await tempDir();
    const { objects } = hostElfFiles(dir);
    execFileSync('ar', ['rc', 'lib.a', ...objects.map((o) => path.basename(o))], { cwd: dir });
    const archive = path.join(dir, 'lib.a');
    const bytes = readFileSync(archive);
    // The long name's reference points past the end of the long-name table.
    const at = bytes.indexOf('/0              ');
    expect(at).toBeGreaterThan(0);
    bytes.write('/99             ', at, 'latin1');
    writeFileSync(archive, bytes);
    const [set] = await setOsabi([archive], { value: 0x42 });
    expect(set).toMatchObject({ changed: 2, problems: [] });
    const [get] = await getOsabi([archive]);
    expect(get).toEqual({ file: archive, readings: [], problems: [{ member: undefined, problem: expect.stringMatching(/^corrupt archive: bad long name reference \/99 at offset/) }] });
  });
});

describe('the command line', () => {
  it('runs osabi through bin/hermit-toolchain.cjs (the compiled CLI) with its exit codes', async () => {
    const dir = await tempDir();
    const { objects } = hostElfFiles(dir);
    writeFileSync(path.join(dir, 'note.txt'), 'hi\n');
    const bin = path.resolve('bin/hermit-toolchain.cjs');
    const set = spawnSync(process.execPath, [bin, 'osabi', '--set', 'Standalone', '-v', objects[0]!, path.join(dir, 'note.txt')], { encoding: 'utf8' });
    expect([set.status, set.stdout, set.stderr]).toEqual([
      1,
      `${objects[0]}: 1 of 1 ELF header set to Standalone (0xff)\n`,
      `osabi: ${path.join(dir, 'note.txt')}: refused: neither an ELF file nor an ar archive\n`,
    ]);
    const get = spawnSync(process.execPath, [bin, 'osabi', '--get', objects[0]!], { encoding: 'utf8' });
    expect([get.status, get.stdout]).toEqual([0, `${objects[0]}: Standalone (0xff)\n`]);
    // Mistakes and --help go through the full command line, which explains them.
    const missing = spawnSync(process.execPath, [bin, 'osabi', '--set', 'GNU'], { encoding: 'utf8' });
    expect([missing.status, missing.stderr]).toEqual([1, "error: missing required argument 'files'\n(run with --help for usage)\n"]);
    const help = spawnSync(process.execPath, [bin, 'osabi', '--help'], { encoding: 'utf8' });
    expect([help.status, help.stdout]).toEqual([0, expect.stringContaining('Usage: hermit-toolchain osabi [options] <files...>')]);
  });
});

describe('write spans', () => {
  it('joins changed bytes that are close and keeps far ones apart', () => {
    expect(spansOf([])).toEqual([]);
    expect(spansOf([7, 3000, 9000])).toEqual([[7, 9001]]);
    // Gaps are counted from the end of the span so far: 64 KiB of unchanged bytes split it.
    expect(spansOf([7, 8 + 64 * 1024 - 1])).toEqual([[7, 8 + 64 * 1024]]);
    expect(spansOf([7, 8 + 64 * 1024, 8 + 64 * 1024 + 10])).toEqual([
      [7, 8],
      [8 + 64 * 1024, 8 + 64 * 1024 + 11],
    ]);
  });
});
