import { plainReporter } from './plain.js';
import type { BuildReporter } from '../engine/reporter.js';

/** A live view on a terminal, plain lines otherwise (CI, pipes, logs). */
export async function chooseReporter(): Promise<BuildReporter> {
  if (!process.stdout.isTTY || process.env.CI) return plainReporter(process.stdout);
  const { listrReporter } = await import('./progress.js');
  return listrReporter();
}
