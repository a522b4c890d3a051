import { HermitError } from '../errors.js';

/**
 * binfmt_misc registration of the HermitCore loader, pure: the line written to
 * /proc/sys/fs/binfmt_misc/register, and reading back what the kernel shows for an entry
 * (fs/binfmt_misc.c, entry_status) to tell whether the registration is already the one we want.
 *
 * A HermitCore executable is an x86-64 ELF file whose OS/ABI byte (offset 7 of e_ident) is the
 * profile's value: 0xFF (Standalone, libhermit 0.2.x) or 0x42 (HermitCore, the original
 * toolchain). The kernel hands such a file to the proxy, which boots it in a VM.
 */

export const BINFMT_NAME = 'hermit';
/** Offset of EI_OSABI in the ELF identification. */
export const OSABI_OFFSET = 7;

export interface BinfmtEntry {
  readonly name: string;
  readonly offset: number;
  readonly magic: readonly number[];
  readonly interpreter: string;
  /** binfmt_misc flags (P, O, C, F); none for the proxy. */
  readonly flags: string;
}

export class BinfmtError extends HermitError {}

export function hermitEntry(osabiValue: number, prefix: string): BinfmtEntry {
  return { name: BINFMT_NAME, offset: OSABI_OFFSET, magic: [osabiValue], interpreter: `${prefix}/bin/proxy`, flags: '' };
}

/**
 * `:name:M:offset:magic:mask:interpreter:flags`. Every magic byte is written as \xHH so that no
 * byte can be read as the ':' separator; the interpreter must not hold one either.
 */
export function registerLine(entry: BinfmtEntry): string {
  if (!/^[^/:\s]+$/.test(entry.name)) throw new BinfmtError(`binfmt_misc name "${entry.name}" must not contain '/', ':' or blanks`);
  if (entry.interpreter.includes(':') || /\s/.test(entry.interpreter)) {
    throw new BinfmtError(`interpreter "${entry.interpreter}" cannot be registered: binfmt_misc lines allow no ':' or blanks in it`);
  }
  if (!entry.interpreter.startsWith('/')) throw new BinfmtError(`interpreter "${entry.interpreter}" must be an absolute path`);
  const magic = entry.magic.map((byte) => `\\x${byte.toString(16).padStart(2, '0')}`).join('');
  return `:${entry.name}:M:${entry.offset}:${magic}::${entry.interpreter}:${entry.flags}`;
}

/** An entry as the kernel shows it in /proc/sys/fs/binfmt_misc/NAME. */
export interface RegisteredEntry {
  readonly enabled: boolean;
  readonly interpreter: string;
  readonly flags: string;
  readonly offset: number | undefined;
  /** Lowercase hex, as the kernel prints it. */
  readonly magic: string | undefined;
  readonly mask: string | undefined;
  /** For extension entries (type E). */
  readonly extension: string | undefined;
}

/**
 * Parses the kernel's view of an entry:
 *   enabled
 *   interpreter /opt/hermit/bin/proxy
 *   flags:
 *   offset 7
 *   magic ff
 */
export function parseEntry(text: string): RegisteredEntry {
  const lines = text.split('\n').map((line) => line.trimEnd());
  const state = lines[0]?.trim();
  if (state !== 'enabled' && state !== 'disabled') throw new BinfmtError(`not a binfmt_misc entry (first line "${lines[0] ?? ''}")`);
  const value = (key: string): string | undefined => {
    const line = lines.find((l) => l.startsWith(`${key} `) || l === key || l.startsWith(`${key}:`));
    return line === undefined ? undefined : line.slice(key.length).replace(/^:/, '').trim();
  };
  const offset = value('offset');
  return {
    enabled: state === 'enabled',
    interpreter: value('interpreter') ?? '',
    flags: value('flags') ?? '',
    offset: offset === undefined ? undefined : Number(offset),
    magic: value('magic')?.toLowerCase(),
    mask: value('mask')?.toLowerCase(),
    extension: value('extension'),
  };
}

/** Whether what the kernel has is exactly `entry` (an all-ones mask equals no mask). */
export function sameRegistration(entry: BinfmtEntry, registered: RegisteredEntry): boolean {
  const magic = entry.magic.map((byte) => byte.toString(16).padStart(2, '0')).join('');
  const maskIsNeutral = registered.mask === undefined || /^(ff)+$/.test(registered.mask);
  return (
    registered.extension === undefined &&
    registered.offset === entry.offset &&
    registered.magic === magic &&
    maskIsNeutral &&
    registered.interpreter === entry.interpreter &&
    [...registered.flags].sort().join('') === [...entry.flags].sort().join('')
  );
}

export type RegisterAction =
  | { readonly kind: 'register'; readonly line: string }
  | { readonly kind: 'keep' }
  | { readonly kind: 'replace'; readonly line: string; readonly old: RegisteredEntry };

/** What `register` does given the entry the kernel has now (undefined: none of that name). */
export function registerAction(entry: BinfmtEntry, current: RegisteredEntry | undefined): RegisterAction {
  const line = registerLine(entry);
  if (current === undefined) return { kind: 'register', line };
  // A disabled but otherwise identical entry is replaced too: it would not start anything.
  if (current.enabled && sameRegistration(entry, current)) return { kind: 'keep' };
  return { kind: 'replace', line, old: current };
}

export function describeEntry(entry: RegisteredEntry): string {
  const what = entry.extension !== undefined ? `extension .${entry.extension}` : `magic ${entry.magic ?? '?'} at offset ${entry.offset ?? '?'}${entry.mask ? ` (mask ${entry.mask})` : ''}`;
  return `${entry.enabled ? 'enabled' : 'disabled'}, ${what}, interpreter ${entry.interpreter}${entry.flags ? `, flags ${entry.flags}` : ''}`;
}
