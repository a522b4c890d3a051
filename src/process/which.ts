import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * The first executable file named `command` in the folders of `searchPath`, like `command -v`;
 * a name with a slash is taken as a path. `skip` passes over candidates that are not what the
 * caller wants (a link to ccache when looking for the compiler behind it).
 */
export async function which(command: string, searchPath: string | undefined, skip: (file: string) => Promise<boolean> = async () => false): Promise<string | undefined> {
  if (command.includes('/')) return (await isExecutable(command)) && !(await skip(command)) ? path.resolve(command) : undefined;
  for (const dir of (searchPath ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, command);
    if ((await isExecutable(candidate)) && !(await skip(candidate))) return candidate;
  }
  return undefined;
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}
