import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A bare ELF file header made by hand: for the classes and byte orders the host compiler does
 * not produce (ELF32, big endian). Fields not given are those of a relocatable object.
 */
export function handmadeElf(options: { bits: 32 | 64; endian: 'little' | 'big'; osabi?: number; machine?: number; trailing?: number }): Buffer {
  const size = options.bits === 32 ? 52 : 64;
  const header = Buffer.alloc(size + (options.trailing ?? 0), 0xaa);
  header.fill(0, 0, size);
  header.set([0x7f, 0x45, 0x4c, 0x46, options.bits === 32 ? 1 : 2, options.endian === 'little' ? 1 : 2, 1, options.osabi ?? 0], 0);
  const le = options.endian === 'little';
  const u16 = (at: number, value: number): void => void (le ? header.writeUInt16LE(value, at) : header.writeUInt16BE(value, at));
  const u32 = (at: number, value: number): void => void (le ? header.writeUInt32LE(value, at) : header.writeUInt32BE(value, at));
  u16(16, 1); // e_type: relocatable
  u16(18, options.machine ?? (options.bits === 32 ? 8 : 43)); // MIPS or SPARC V9: both come big endian
  u32(20, 1); // e_version
  u16(options.bits === 32 ? 40 : 52, size); // e_ehsize
  return header;
}

/** Compiles C source with the host gcc; returns the output path. */
export function compile(dir: string, name: string, source: string, args: readonly string[]): string {
  const src = path.join(dir, `${name}.c`);
  writeFileSync(src, source);
  const out = path.join(dir, name);
  execFileSync('gcc', [...args, '-o', out, src], { cwd: dir, stdio: 'pipe' });
  return out;
}

/** Creates the usual kinds of ELF file in `dir`: two objects, an executable, a shared object. */
export function hostElfFiles(dir: string): { objects: string[]; executable: string; shared: string } {
  const a = compile(dir, 'a.o', 'int f(void) { return 1; }\n', ['-c']);
  // A name longer than 15 characters goes to the GNU archive's long-name table.
  const b = compile(dir, 'a-long-member-name.o', 'int g(void) { return 2; }\n', ['-c']);
  const executable = compile(dir, 'hello', 'int main(void) { return 0; }\n', []);
  const shared = compile(dir, 'libshared.so', 'int h(void) { return 3; }\n', ['-shared', '-fPIC']);
  return { objects: [a, b], executable, shared };
}
