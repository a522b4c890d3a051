// Synthetic graphs for the benchmarks: the same DAG as a hermit-toolchain toolchain directory and
// as a GNU Makefile of stamp files, so both tools do the same work.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** A deterministic pseudo-random DAG: each node needs up to `fanIn` earlier nodes. */
export function dag(count, fanIn = 2, seed = 42) {
  let state = seed;
  const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  return Array.from({ length: count }, (_, i) => {
    const needs = new Set();
    for (let k = 0; k < fanIn && i > 0; k++) if (random() < 0.8) needs.add(Math.floor(random() * i));
    return { name: `r${String(i).padStart(4, '0')}`, needs: [...needs].sort((a, b) => a - b).map((n) => `r${String(n).padStart(4, '0')}`) };
  });
}

/** `count` layers of `width` nodes, each needing every node of the layer before it. */
export function layers(count, width) {
  const name = (layer, i) => `l${String(layer).padStart(3, '0')}n${i}`;
  return Array.from({ length: count * width }, (_, k) => {
    const layer = Math.floor(k / width);
    return { name: name(layer, k % width), needs: layer === 0 ? [] : Array.from({ length: width }, (_, i) => name(layer - 1, i)) };
  });
}

/**
 * Writes the DAG as recipes with a build and an install step each (`command`), and as a Makefile
 * whose targets are the same tasks with the same dependencies, each running the same command and
 * touching a stamp.
 */
export function writeGraph(dir, nodes, command = 'true') {
  mkdirSync(path.join(dir, 'toolchain/recipes'), { recursive: true });
  for (const node of nodes) {
    writeFileSync(
      path.join(dir, 'toolchain/recipes', `${node.name}.yaml`),
      `name: ${node.name}\nversion: "1"\nsummary: synthetic\nlicense: MIT\nneeds: [${node.needs.join(', ')}]\nbuild:\n  - ["${command}"]\ninstall:\n  - ["${command}"]\n`,
    );
  }
  const lines = [`all: ${nodes.map((n) => `stamps/${n.name}.install`).join(' ')}`, ''];
  for (const node of nodes) {
    lines.push(`stamps/${node.name}.build: ${node.needs.map((n) => `stamps/${n}.install`).join(' ')}`, `\t@${command}`, '\t@mkdir -p stamps && touch $@', '');
    lines.push(`stamps/${node.name}.install: stamps/${node.name}.build`, `\t@${command}`, '\t@touch $@', '');
  }
  writeFileSync(path.join(dir, 'Makefile'), lines.join('\n'));
  return { toolchain: path.join(dir, 'toolchain'), makefile: path.join(dir, 'Makefile') };
}
