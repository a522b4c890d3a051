import { executeBuild, prepareBuild } from '../engine/execute.js';
import { cacheLine } from '../cache/counts.js';
import { describeError } from '../errors.js';
import { resolveCacheSettings, type CacheFlags } from '../cache/settings.js';
import { TASK_KINDS, type TaskKind } from '../plan/plan.js';
import { parseOverrides } from '../sources/override.js';
import { printFailure } from '../ui/failure.js';
import { chooseReporter } from '../ui/choose.js';
import { summaryLine } from '../ui/reporter.js';
import { resolveContext, type GlobalOptions } from './context.js';
import { listenForInterrupts } from './interrupt.js';
import { outDirOf, refreshIndex, withPackaging, type PackagingOptions } from './packaging.js';

export interface BuildCommandOptions extends GlobalOptions, CacheFlags, PackagingOptions {
  readonly force?: string[] | undefined;
  readonly keepGoing?: boolean | undefined;
  readonly offline?: boolean | undefined;
  readonly source?: string[] | undefined;
  readonly touch?: boolean | undefined;
  /** false (--no-package): every kind of task but package. */
  readonly package?: boolean | undefined;
}

/**
 * Runs a build until it ends, is cancelled (SIGINT/SIGTERM: exit 130, SIGHUP: 129) or fails. The
 * next run picks up where this one stopped, since only finished tasks record their keys.
 */
export async function buildCommand(recipes: string[], options: BuildCommandOptions, kinds?: readonly TaskKind[]): Promise<number> {
  const only = kinds ?? (options.package === false ? TASK_KINDS.filter((kind) => kind !== 'package') : undefined);
  const context = await resolveContext(options);
  const overrides = parseOverrides(options.source ?? []);
  const toolchain = withPackaging(context.toolchain, options);
  const outDir = outDirOf(options);
  const prepared = await prepareBuild({ ...context, toolchain, selected: recipes, offline: options.offline ?? false, overrides, outDir });
  const cacheSettings = resolveCacheSettings(context.cacheDir, context.toolchain.profile.cache, options, process.env);
  const interrupt = listenForInterrupts();
  try {
    const outcome = await executeBuild(prepared, {
      keepGoing: options.keepGoing ?? false,
      force: options.force ?? [],
      reporter: await chooseReporter(prepared.ctx.layout),
      signal: interrupt.signal,
      ...(only ? { only } : {}),
      touch: options.touch ?? false,
      say: (line) => process.stderr.write(`${line}\n`),
      cache: { settings: cacheSettings, warn: (line) => process.stderr.write(`warning: ${line}\n`) },
    });
    const interrupted = interrupt.exitCode();
    if (interrupted === undefined) for (const { error } of outcome.errors) printFailure(error);
    for (const line of outcome.warnings) process.stderr.write(`warning: ${line}\n`);
    if (outcome.notStarted > 0) process.stdout.write(`not started: ${outcome.notStarted} tasks\n`);
    if (outcome.cache) process.stdout.write(`${cacheLine(outcome.cache)}\n`);
    if (outcome.timeline) {
      const chart = prepared.ctx.layout.timelineChart('html');
      try {
        const { writeTimelineChart } = await import('./timeline.js');
        writeTimelineChart(chart, outcome.timeline, 'html');
        process.stdout.write(`timeline: ${chart}\n`);
      } catch (error) {
        // The picture is for the user to look at; the build it draws did not fail for it.
        process.stderr.write(`warning: cannot draw the timeline ${chart}: ${describeError(error)}\n`);
      }
    }
    process.stdout.write(`${summaryLine(outcome)}\n`);
    if (interrupted !== undefined) {
      interrupt.endIfHungUp();
      return interrupted;
    }
    // The index covers every package in the output folder, so it follows any package task.
    const packaged = (only ?? ['package']).includes('package') && [...prepared.plan.tasks.values()].some((task) => task.kind === 'package');
    if (packaged) await refreshIndex(outDir, toolchain.profile, options.sign, outcome);
    return outcome.failed > 0 ? 1 : 0;
  } finally {
    interrupt.dispose();
  }
}
