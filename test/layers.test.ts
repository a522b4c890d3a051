import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The layers of src/, lowest first (docs/design.md, "Layers"). A module may import from its own
 * folder and from lower layers only; folders on one line are one layer and do not import each
 * other.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['builtins.ts', 'errors.ts', 'exists.ts', 'folders.ts', 'hash.ts', 'sparse-file.ts'],
  ['formats'],
  ['net', 'process', 'elfedit'],
  ['recipes'],
  ['plan'],
  ['sources', 'package'],
  ['cache', 'legal'],
  ['workdir'],
  ['tasks'],
  ['engine'],
  ['host'],
  ['ui'],
  ['commands'],
  ['program.ts'],
  ['cli.ts'],
];

const src = path.resolve('src');
const unitOf = (file: string): string => path.relative(src, file).split(path.sep)[0]!;
const layerOf = (unit: string): number => LAYERS.findIndex((layer) => layer.includes(unit));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(full) : entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every relative import of a file (static, type-only and dynamic), as absolute .ts paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:from\s+|import\s*\(\s*)'(\.{1,2}\/[^']+)'/g)].map((match) => match[1]!);
  return specifiers.map((specifier) => path.resolve(path.dirname(file), specifier.replace(/\.js$/, '.ts')));
}

describe('the layers of src/', () => {
  const files = sourceFiles(src);

  it('places every folder and top-level file in a layer', () => {
    const units = [...new Set(files.map(unitOf))].sort();
    expect(units.filter((unit) => layerOf(unit) < 0)).toEqual([]);
  });

  it('imports only downwards', () => {
    const upwards: string[] = [];
    for (const file of files) {
      const from = unitOf(file);
      for (const target of importsOf(file)) {
        const to = unitOf(target);
        if (to === from) continue;
        if (layerOf(to) >= layerOf(from)) upwards.push(`${path.relative(src, file)} imports ${path.relative(src, target)}`);
      }
    }
    expect(upwards).toEqual([]);
  });
});
