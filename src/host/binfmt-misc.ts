import { constants } from 'node:fs';
import { access, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describeError } from '../errors.js';
import { BinfmtError, describeEntry, parseEntry, registerAction, registerLine, sameRegistration, type BinfmtEntry, type RegisteredEntry } from './binfmt.js';

/**
 * The binfmt_misc file system (effects): its `register` node, its `status` node and one file per
 * entry. Tests point it at a plain folder standing in for /proc/sys/fs/binfmt_misc.
 */
export const BINFMT_DIR = '/proc/sys/fs/binfmt_misc';

const MOUNT_HINT = (dir: string): string =>
  dir === BINFMT_DIR
    ? `binfmt_misc is not mounted at ${dir}: mount it with \`mount binfmt_misc -t binfmt_misc ${BINFMT_DIR}\` (as root; on systemd machines \`systemctl start proc-sys-fs-binfmt_misc.mount\`), then run this again`
    : `${dir} has no register file: it is not a binfmt_misc mount (mount one with \`mount binfmt_misc -t binfmt_misc ${dir}\`)`;

export class BinfmtMisc {
  constructor(readonly dir: string = BINFMT_DIR) {}

  get registerNode(): string {
    return path.join(this.dir, 'register');
  }

  entryFile(name: string): string {
    return path.join(this.dir, name);
  }

  async mounted(): Promise<boolean> {
    try {
      await access(this.registerNode, constants.F_OK);
      return true;
    } catch {
      return false;
    }
  }

  /** `enabled` or `disabled` (the whole of binfmt_misc), undefined when unreadable. */
  async globalState(): Promise<string | undefined> {
    try {
      return (await readFile(path.join(this.dir, 'status'), 'utf8')).trim();
    } catch {
      return undefined;
    }
  }

  async current(name: string): Promise<RegisteredEntry | undefined> {
    let text: string;
    try {
      text = await readFile(this.entryFile(name), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    return parseEntry(text);
  }

  /** One write() per node, as the kernel wants; permission errors say what to do. */
  private async write(file: string, text: string): Promise<void> {
    try {
      await writeFile(file, text, { flag: 'w' });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM') {
        throw new BinfmtError(`cannot write ${file} (${code}): binfmt_misc registrations need root; run the same command with sudo`, { cause: error });
      }
      throw new BinfmtError(`writing "${text}" to ${file} failed: ${describeError(error)}`, { cause: error });
    }
  }

  async checkWritable(): Promise<void> {
    if (!(await this.mounted())) throw new BinfmtError(MOUNT_HINT(this.dir));
    try {
      await access(this.registerNode, constants.W_OK);
    } catch (error) {
      throw new BinfmtError(`cannot write ${this.registerNode}: binfmt_misc registrations need root; run the same command with sudo`, { cause: error });
    }
  }

  async register(line: string): Promise<void> {
    await this.write(this.registerNode, line);
  }

  /** Writing -1 to an entry's file removes that entry. */
  async remove(name: string): Promise<void> {
    await this.write(this.entryFile(name), '-1');
  }
}

export interface BinfmtRun {
  readonly dryRun: boolean;
  readonly print: (line: string) => void;
}

/** `register`: idempotent — an identical entry is kept, a different one replaced. */
export async function registerEntry(fs: BinfmtMisc, entry: BinfmtEntry, run: BinfmtRun): Promise<void> {
  const line = registerLine(entry);
  if (!(await fs.mounted())) {
    if (run.dryRun) {
      run.print(`would write to ${fs.registerNode}: ${line}`);
      run.print(`(and ${MOUNT_HINT(fs.dir)})`);
      return;
    }
    throw new BinfmtError(MOUNT_HINT(fs.dir));
  }
  const action = registerAction(entry, await fs.current(entry.name));
  const verb = run.dryRun ? 'would write' : 'write';
  switch (action.kind) {
    case 'keep':
      run.print(`binfmt_misc: ${entry.name} is already registered as wanted (${line}); left alone`);
      return;
    case 'replace':
      run.print(`binfmt_misc: ${entry.name} is registered differently (${describeEntry(action.old)}); replacing it`);
      if (!run.dryRun) await fs.checkWritable();
      run.print(`${verb} -1 to ${fs.entryFile(entry.name)}`);
      if (!run.dryRun) await fs.remove(entry.name);
      break;
    case 'register':
      if (!run.dryRun) await fs.checkWritable();
      break;
  }
  run.print(`${verb} to ${fs.registerNode}: ${action.line}`);
  if (!run.dryRun) await fs.register(action.line);
}

export async function unregisterEntry(fs: BinfmtMisc, name: string, run: BinfmtRun): Promise<void> {
  if (!(await fs.mounted())) throw new BinfmtError(MOUNT_HINT(fs.dir));
  if ((await fs.current(name)) === undefined) {
    run.print(`binfmt_misc: ${name} is not registered; nothing to do`);
    return;
  }
  run.print(`${run.dryRun ? 'would write' : 'write'} -1 to ${fs.entryFile(name)}`);
  if (!run.dryRun) await fs.remove(name);
}

/** Lines describing the registration, and whether it is the wanted one and enabled. */
export async function entryStatus(fs: BinfmtMisc, entry: BinfmtEntry): Promise<{ lines: string[]; ok: boolean }> {
  if (!(await fs.mounted())) return { lines: [MOUNT_HINT(fs.dir)], ok: false };
  const lines = [`binfmt_misc at ${fs.dir}: ${(await fs.globalState()) ?? 'status unreadable'}`];
  const current = await fs.current(entry.name);
  const wanted = registerLine(entry);
  if (current === undefined) return { lines: [...lines, `${entry.name}: not registered (register writes ${wanted})`], ok: false };
  const same = sameRegistration(entry, current);
  lines.push(`${entry.name}: ${describeEntry(current)}`);
  lines.push(same ? `${entry.name}: matches the profile (${wanted})` : `${entry.name}: differs from the profile, which wants ${wanted}`);
  const globallyEnabled = (await fs.globalState()) !== 'disabled';
  return { lines, ok: same && current.enabled && globallyEnabled };
}
