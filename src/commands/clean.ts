import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { WorkLayout } from '../workdir/layout.js';
import { UserError } from '../errors.js';
import { lockWorkDir } from '../workdir/running.js';
import { TaskState } from '../workdir/state.js';
import { resolveContext, type GlobalOptions } from './context.js';

/** Removes what recipes left in the work directory; without names, the whole work directory. */
export async function cleanCommand(recipes: string[], options: GlobalOptions): Promise<number> {
  const context = await resolveContext(options);
  const layout = new WorkLayout(context.workDir);
  for (const name of recipes) {
    if (!context.toolchain.recipes.has(name)) throw new UserError(`clean ${name}: no such recipe`);
  }
  // A killed run's steps would go on writing into what is removed here.
  const unlock = await lockWorkDir(layout, (line) => process.stderr.write(`${line}\n`));
  try {
    if (recipes.length === 0) {
      // Everything but the lock we hold; the folder itself goes once the lock is released.
      for (const entry of await readdir(layout.root)) {
        if (path.join(layout.root, entry) !== layout.lock) await rm(path.join(layout.root, entry), { recursive: true, force: true });
      }
      process.stdout.write(`removed everything in ${layout.root}\n`);
      return 0;
    }
    const state = new TaskState(layout);
    try {
      for (const name of recipes) {
        await state.forgetRecipe(name);
        for (const dir of layout.recipeDirs(name)) await rm(dir, { recursive: true, force: true });
        process.stdout.write(`cleaned ${name}\n`);
      }
    } finally {
      state.close();
    }
    return 0;
  } finally {
    await unlock();
  }
}
