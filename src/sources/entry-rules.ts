import path from 'node:path';
import { UserError } from '../errors.js';

/** An archive that tried to write outside the folder it is unpacked into. */
export class UnsafeArchive extends UserError {}

export type EntryKind = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

export interface EntryNames {
  readonly kind: EntryKind;
  /**
   * The entry's names: the one the extractor uses first, then any other its headers give (a
   * tar member may carry three). Every one is checked, so a reader that picked another name
   * than ours would still write only where ours may.
   */
  readonly names: readonly [string, ...string[]];
  /** Link targets in the same order, for links. */
  readonly links?: readonly string[];
  /** For an 'other', what it is ("a FIFO"), for the log. */
  readonly what?: string;
}

/** A path with nothing to normalize: no `.` or `..` part, no empty part, no backslash, no slash at either end. */
const PLAIN = /^(?![/]|\.\.?(?:\/|$))(?:[^/\\]|\/(?![/]|\.\.?(?:\/|$)|$))*$/;

/** A path from an archive made relative to the folder it is unpacked into, or why it cannot be. */
function insideFolder(candidate: string): string | 'absolute' | 'escapes' {
  // Most names of a release tarball need no normalizing; testing for that is much cheaper.
  if (candidate !== '' && PLAIN.test(candidate) && !candidate.includes(':')) return candidate;
  if (candidate.startsWith('/') || /^[A-Za-z]:[\\/]/.test(candidate)) return 'absolute';
  const normalized = path.posix.normalize(candidate.replaceAll('\\', '/')).replace(/^(\.\/)+/, '').replace(/\/$/, '');
  if (normalized === '..' || normalized.startsWith('../')) return 'escapes';
  return normalized === '.' ? '' : normalized;
}

/**
 * Whether an archive path steps up anywhere, even when it ends inside (`a/b/../c`): GNU tar
 * would not write it where it seems to point but strip all up to the last `..` (`c`), a path
 * this guard never checked.
 */
const stepsUp = (candidate: string): boolean => /(?:^|\/)\.\.(?:\/|$)/.test(candidate);

/** How many refusals a message shows; the rest are counted. */
const SHOWN = 5;

/**
 * Decides, entry by entry, what may be written into a source folder. Entries that would land
 * outside it, or might — absolute paths, `..` anywhere in a path, a path through a symlink the
 * archive made, a link pointing out — make the whole archive refused; device nodes, FIFOs and
 * anything else that is not a file, folder or link are dropped. Pure: it sees names, never the
 * file system, so it holds the archive's symlinks and dropped names, not its contents.
 */
export class EntryGuard {
  private readonly symlinks = new Set<string>();
  private readonly droppedPaths = new Set<string>();
  private readonly shown: string[] = [];
  private refusedCount = 0;
  /** What was dropped, as log lines. */
  readonly dropped: string[] = [];

  /** Whether any entry so far makes the archive refused. */
  get refused(): boolean {
    return this.refusedCount > 0;
  }

  /** The entry's path inside the folder, or undefined when it must not be written. */
  check(entry: EntryNames): string | undefined {
    const [name] = entry.names;
    const relatives: string[] = [];
    for (const candidate of entry.names) {
      const relative = insideFolder(candidate);
      if (relative === 'absolute' || relative === 'escapes') return this.refuse(`${candidate}: ${relative === 'absolute' ? 'absolute path' : 'path leaves the source folder'}`);
      if (stepsUp(candidate)) return this.refuse(`${candidate}: a path through ".."`);
      relatives.push(relative);
    }
    const relative = relatives[0]!;
    if (entry.kind === 'other') return this.drop(relatives, `dropped ${name}: ${entry.what ?? 'not a file, folder or link'}`);
    for (const [i, candidate] of relatives.entries()) {
      const through = this.symlinkOn(candidate);
      if (through) return this.refuse(`${entry.names[i]}: would be written through the symlink ${through}`);
    }
    const links = entry.links ?? [];
    if (entry.kind === 'hardlink' && insideFolder(links[0] ?? '') === relative) {
      // A file linked to itself: some archives (Debian's binutils-2.40.tar.xz) list every file
      // twice, the second time as such a link. Writing it would replace the file by nothing.
      return undefined;
    }
    if (entry.kind === 'symlink' || entry.kind === 'hardlink') {
      for (const target of links) {
        // A symlink target is relative to the link's folder; a hard link names a path in the archive.
        const resolved = entry.kind === 'symlink' ? relatives.map((from) => path.posix.join(path.posix.dirname(from), target)) : [target];
        const outside = path.posix.isAbsolute(target) || resolved.some((where) => ['absolute', 'escapes'].includes(insideFolder(where)));
        if (outside) return this.refuse(`${name}: links to ${target}, outside the source folder`);
        if (entry.kind === 'hardlink') {
          if (stepsUp(target)) return this.refuse(`${name}: links to ${target}, a path through ".."`);
          const linked = insideFolder(target);
          const through = this.symlinkOn(linked);
          // link(2) follows symlinks on the way to its target: a chain of them can lead out.
          if (through) return this.refuse(`${name}: links to ${target}, through the symlink ${through}`);
          if (this.droppedPaths.has(linked)) return this.drop(relatives, `dropped ${name}: a hard link to ${target}, which was dropped`);
        }
      }
      if (entry.kind === 'symlink') for (const candidate of relatives) this.symlinks.add(candidate);
    }
    return relative;
  }

  /** Throws when the archive tried anything unsafe. */
  verdict(archive: string): void {
    if (this.refusedCount === 0) return;
    const count = this.refusedCount;
    throw new UnsafeArchive(`refusing ${path.basename(archive)}: ${count} unsafe entr${count === 1 ? 'y' : 'ies'}: ${this.shown.join('; ')}`);
  }

  /** The symlink of this archive that a path goes through (not the path itself), if any. */
  private symlinkOn(relative: string): string | undefined {
    if (this.symlinks.size === 0) return undefined;
    for (let slash = relative.indexOf('/'); slash >= 0; slash = relative.indexOf('/', slash + 1)) {
      const folder = relative.slice(0, slash);
      if (this.symlinks.has(folder)) return folder;
    }
    return undefined;
  }

  /** Records a refusal found elsewhere (a zip reader that checks names itself). */
  refuse(problem: string): undefined {
    this.refusedCount++;
    if (this.shown.length < SHOWN) this.shown.push(problem);
    return undefined;
  }

  private drop(relatives: readonly string[], line: string): undefined {
    for (const relative of relatives) this.droppedPaths.add(relative);
    this.dropped.push(line);
    return undefined;
  }
}
