import { plainReporter } from './plain.js';
import type { BuildReporter } from '../engine/reporter.js';
import type { WorkLayout } from '../workdir/layout.js';
import { heartbeatInterval } from './heartbeat.js';

/** A live view on a terminal, plain lines otherwise (CI, pipes, logs). */
export async function chooseReporter(layout: WorkLayout, env: NodeJS.ProcessEnv = process.env): Promise<BuildReporter> {
  // Read on a terminal too, so that a mistake in it is found before it matters.
  const heartbeatMs = heartbeatInterval(env);
  if (!process.stdout.isTTY || env.CI) return plainReporter(process.stdout, { logOf: (task) => layout.log(task.recipe, task.kind), heartbeatMs });
  const { listrReporter } = await import('./progress.js');
  return listrReporter();
}
