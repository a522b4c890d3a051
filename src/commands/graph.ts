import { prepareBuild } from '../engine/execute.js';
import { UserError } from '../errors.js';
import type { Prepared } from '../engine/execute.js';
import { resolveContext, type GlobalOptions } from './context.js';

const GRAPH_FORMATS = ['text', 'dot', 'json'] as const;
export type GraphFormat = (typeof GRAPH_FORMATS)[number];

export function renderGraph(prepared: Pick<Prepared, 'plan' | 'keys'>, format: GraphFormat): string {
  const { plan, keys } = prepared;
  const tasks = [...plan.tasks.values()];
  switch (format) {
    case 'json':
      return JSON.stringify(
        {
          recipes: plan.recipes.map((r) => ({ name: r.name, version: r.version, needs: r.needs, continues: r.continues ?? null, package: r.package?.name ?? null })),
          tasks: tasks.map((t) => ({ id: t.id, recipe: t.recipe, kind: t.kind, deps: t.deps, key: keys.get(t.id) })),
        },
        null,
        2,
      );
    case 'dot': {
      const lines = ['digraph hermit {', '  rankdir=LR;', '  node [shape=box, fontname="monospace"];'];
      for (const recipe of plan.recipes) {
        const continues = recipe.continues ? `\\nin the tree of ${recipe.continues}` : '';
        lines.push(`  subgraph "cluster_${recipe.name}" {`, `    label="${recipe.name} ${recipe.version}${continues}";`);
        for (const t of tasks.filter((task) => task.recipe === recipe.name)) lines.push(`    "${t.id}" [label="${t.kind}"];`);
        lines.push('  }');
      }
      for (const t of tasks) for (const dep of t.deps) lines.push(`  "${dep}" -> "${t.id}";`);
      lines.push('}');
      return lines.join('\n');
    }
    case 'text': {
      const lines: string[] = [];
      for (const recipe of plan.recipes) {
        const about = [recipe.needs.length ? `needs ${recipe.needs.join(', ')}` : '', recipe.continues ? `builds on in the tree of ${recipe.continues}` : ''].filter(Boolean);
        lines.push(`${recipe.name} ${recipe.version}${about.length ? ` (${about.join('; ')})` : ''}`);
        for (const t of tasks.filter((task) => task.recipe === recipe.name)) {
          lines.push(`  ${t.kind.padEnd(9)} ${keys.get(t.id)!.slice(0, 12)}${t.deps.length ? `  after ${t.deps.join(', ')}` : ''}`);
        }
      }
      return lines.join('\n');
    }
  }
}

export async function graphCommand(recipes: string[], options: GlobalOptions & { format?: string }): Promise<number> {
  const format = (options.format ?? 'text') as GraphFormat;
  if (!GRAPH_FORMATS.includes(format)) throw new UserError(`--format must be one of ${GRAPH_FORMATS.join(', ')}`);
  const context = await resolveContext(options);
  const prepared = await prepareBuild({ ...context, selected: recipes });
  process.stdout.write(`${renderGraph(prepared, format)}\n`);
  return 0;
}
