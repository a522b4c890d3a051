import path from 'node:path';
import { formatSize } from '../cache/size.js';
import { prepareBuild } from '../engine/execute.js';
import { exists } from '../exists.js';
import { listSeries, placeFiles, presenceOf, replaceFolder, totalSize, writeText } from '../legal/files.js';
import {
  LegalInfoError,
  MANIFEST_FILE,
  SUMS_FILE,
  chooseSource,
  manifestCsv,
  planFiles,
  sha256Sums,
  type RecipeSources,
} from '../legal/plan.js';
import { taskId } from '../plan/plan.js';
import { sha256Hex } from '../hash.js';
import { patchDirsFor, recordedSourceLabel } from '../sources/source.js';
import { WorkLayout } from '../workdir/layout.js';
import { resolveContext, type GlobalOptions } from './context.js';

export interface LegalInfoOptions extends GlobalOptions {
  /** The folder to write; `<work>/legal-info` by default. */
  readonly out?: string | undefined;
}

/** Sources missing from the cache: one line for one, a count and one detail line each for more. */
class MissingSources extends LegalInfoError {
  constructor(lines: readonly [string, ...string[]]) {
    super(lines.length === 1 ? lines[0] : `${lines.length} sources the last build used are not in the cache`, { details: lines.length === 1 ? [] : lines });
  }
}

/**
 * `legal-info`: what a distributor of the last build's packages must be able to hand over (as
 * Buildroot's `make legal-info`): every licence, the exact source archives and the patch series
 * as applied, with a manifest and SHA256SUMS. Covered are the recipes whose .deb the last build
 * wrote and every recipe those were built from (`needs`, e.g. lwip, compiled into libhermit, and
 * gcc-bootstrap, which compiled newlib). Reads the cache only: no network.
 */
export async function legalInfoCommand(options: LegalInfoOptions): Promise<number> {
  const context = await resolveContext(options);
  const { toolchain } = context;
  const layout = new WorkLayout(context.workDir);
  const out = path.resolve(options.out ?? path.join(context.workDir, 'legal-info'));
  const packaged = [...toolchain.recipes.values()].filter((recipe) => recipe.package);
  const shipped: typeof packaged = [];
  for (const recipe of packaged) if (await exists(layout.packageRecord(recipe.name))) shipped.push(recipe);
  if (shipped.length === 0) throw new LegalInfoError(`no package was built in ${context.workDir}: run \`hermit-toolchain build\` first`);

  const prepared = await prepareBuild({ ...context, selected: shipped.map((recipe) => recipe.name) });
  // A package whose key changed was built from other recipes, patches or sources than the ones
  // that would be listed now: the listing would not be its corresponding source.
  const stale: string[] = [];
  for (const recipe of shipped) {
    const stored = await prepared.ctx.state.read(recipe.name, 'package');
    if (stored !== prepared.keys.get(taskId(recipe.name, 'package'))) stale.push(recipe.name);
  }
  if (stale.length > 0) {
    throw new LegalInfoError(
      `changed since the last build: ${stale.join(', ')} (the sources, patches or recipe differ from what the package was built from): run \`hermit-toolchain build\` first`,
    );
  }

  const sources = prepared.ctx.sources;
  const inputs: RecipeSources[] = [];
  const missing: string[] = [];
  for (const recipe of prepared.plan.recipes) {
    if (!recipe.source) continue;
    const choice = chooseSource(sources, recipe, await recordedSourceLabel(layout.tree(recipe.name)), await presenceOf(sources, recipe));
    if (choice.kind === 'missing') {
      missing.push(choice.line);
      continue;
    }
    const dirs = patchDirsFor(sources, recipe, choice.kind === 'file' ? choice.artifact : undefined);
    inputs.push({
      recipe,
      packageName: shipped.includes(recipe) ? recipe.package?.name : undefined,
      source: choice,
      patches: await listSeries(dirs),
      toolchainDir: toolchain.dir,
    });
  }
  const [first, ...more] = missing;
  if (first !== undefined) throw new MissingSources([first, ...more]);

  const files = planFiles(inputs);
  const { rows, bytes } = await replaceFolder(out, async (dir) => {
    const placed = await placeFiles(files, dir, sources.cacheDir);
    const manifest = manifestCsv(placed);
    await writeText(dir, MANIFEST_FILE, manifest);
    await writeText(dir, SUMS_FILE, sha256Sums([...placed, { path: MANIFEST_FILE, sha256: sha256Hex(manifest) }]));
    return { rows: placed, bytes: await totalSize(dir, placed) };
  });

  const count = (kind: string, noun: string, plural = `${noun}s`): string => {
    const n = rows.filter((row) => row.kind === kind).length;
    return `${n} ${n === 1 ? noun : plural}`;
  };
  const write = (line: string): boolean => process.stdout.write(`${line}\n`);
  write(
    `legal-info: ${rows.length} files for ${inputs.length} recipe${inputs.length === 1 ? '' : 's'} (${count('source', 'source')}, ${count('patch', 'patch', 'patches')}, ${count('series', 'series', 'series')}), ${formatSize(bytes)}, in ${out}`,
  );
  const unshipped = inputs.filter((input) => input.packageName === undefined).map((input) => input.recipe.name);
  if (unshipped.length > 0) write(`  built from, not shipped: ${unshipped.join(', ')}`);
  const sourceless = prepared.plan.recipes.filter((recipe) => !recipe.source).map((recipe) => recipe.name);
  if (sourceless.length > 0) write(`  no source: ${sourceless.join(', ')}`);
  const unbuilt = packaged.filter((recipe) => !shipped.includes(recipe)).map((recipe) => recipe.name);
  if (unbuilt.length > 0) write(`  not packaged by the last build, left out: ${unbuilt.join(', ')}`);
  write(`check: cd ${out} && sha256sum -c ${SUMS_FILE}`);
  return 0;
}
