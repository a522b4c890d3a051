import { ET_DYN, ET_EXEC, type ElfIdentity } from '../formats/elf-dynamic.js';

/** e_machine of the ELF files each Debian architecture runs (the ones a toolchain host can be). */
export const ARCH_MACHINES: Readonly<Record<string, number>> = {
  amd64: 62,
  i386: 3,
  arm64: 183,
  armhf: 40,
  armel: 40,
  ppc64el: 21,
  riscv64: 243,
  s390x: 22,
};

export interface Placement {
  /** The profile prefix without slashes at the ends: `opt/hermit`. */
  readonly prefix: string;
  /** The target triplet: `x86_64-hermit`. */
  readonly target: string;
}

/** Folders holding target code: what the cross compiler links into HermitCore programs. */
export function targetDirs(where: Placement): string[] {
  return [`${where.prefix}/${where.target}/`, `${where.prefix}/lib/gcc/${where.target}/`];
}

/**
 * Whether a file of the image is a host executable, the kind that makes a package
 * architecture-specific and has shared-library dependencies on the host.
 *
 * x86_64-hermit objects are x86-64 ELF too, so the machine alone cannot tell. The rule:
 *  - only programs and shared objects (ET_EXEC, ET_DYN) run on the host; relocatable objects
 *    and archives are always link inputs, here for the target;
 *  - the OS/ABI must be a host one (0 System V or 3 GNU/Linux): the osabi task stamps target
 *    code with the profile's OS/ABI (Standalone, 255);
 *  - the machine must be the host's;
 *  - and it must not lie where target code lives, `{prefix}/{target}/` (the target sysroot:
 *    lib/, include/) and `{prefix}/lib/gcc/{target}/` (libgcc, crt*.o), because a target
 *    program left unstamped would pass the tests above. `{prefix}/{target}/bin/` is the
 *    exception: binutils installs its host tools there too (as, ld, ar, ... for gcc to call).
 */
export function isHostBinary(relativePath: string, elf: ElfIdentity, where: Placement, hostMachine: number): boolean {
  if (elf.type !== ET_EXEC && elf.type !== ET_DYN) return false;
  if (elf.osabi !== 0 && elf.osabi !== 3) return false;
  if (elf.machine !== hostMachine) return false;
  if (relativePath.startsWith(`${where.prefix}/${where.target}/bin/`)) return true;
  return !targetDirs(where).some((dir) => relativePath.startsWith(dir));
}

/** Whether a path of an image may be packaged: it must lie in the prefix or lead to it. */
export function insidePrefix(relativePath: string, prefix: string): boolean {
  if (relativePath === '' || relativePath === prefix || relativePath.startsWith(`${prefix}/`)) return true;
  return `${prefix}/`.startsWith(`${relativePath}/`);
}

/**
 * dh_strip's and dh_fixperms' test for a shared library: its name (a PIE program is ET_DYN too,
 * so the ELF type cannot tell). Debian Policy 8.1 wants these 0644, and strips them less.
 */
export function isSharedLibraryName(relativePath: string): boolean {
  const base = relativePath.slice(relativePath.lastIndexOf('/') + 1);
  return /\.so(\.[0-9.]+)?$/.test(base);
}
