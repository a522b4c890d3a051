// Node's peak memory while it packages a big recipe: an image with a 200 MB unstripped host
// program (a small program with a 200 MB debug section added, as an unstripped cc1plus is) and
// a 120 MB data file of random bytes (which xz cannot shrink), built and packaged by
// `build --no-artifact-cache`. Prints node's own peak RSS (getrusage of the CLI process, not its
// children: xz and strip have their own) and the package's size. Takes a minute or two.
// `--cli PATH` measures another build of the CLI (an older checkout's bin/hermit-toolchain.cjs).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, run, tempDir } from './lib.mjs';

const cliAt = process.argv.indexOf('--cli');
const cli = cliAt >= 0 ? path.resolve(process.argv[cliAt + 1]) : CLI;
const dir = tempDir();
const big = path.join(dir, 'data.bin');
execFileSync('sh', ['-c', `head -c 120000000 /dev/urandom > ${big} && head -c 200000000 /dev/urandom > ${dir}/junk`]);
writeFileSync(path.join(dir, 'main.c'), 'int main(void) { return 0; }\n');
execFileSync('gcc', ['-g', '-o', 'prog', 'main.c'], { cwd: dir });
execFileSync('objcopy', ['--add-section', '.debug_junk=junk', 'prog', 'prog.big'], { cwd: dir });
mkdirSync(path.join(dir, 'toolchain/recipes'), { recursive: true });
writeFileSync(
  path.join(dir, 'toolchain/recipes/big.yaml'),
  `name: big\nversion: "1"\nsummary: packaging memory\nlicense: MIT\ninstall:\n` +
    `  - [install, -D, -m, "755", ${dir}/prog.big, "{image}{prefix}/bin/big-tool"]\n` +
    `  - [install, -D, -m, "644", ${big}, "{image}{prefix}/share/big/data"]\n` +
    `package:\n  name: big-test\n  section: devel\n  depends: []\n  description: |\n    Packaging memory test.\n`,
);
const hook = path.join(dir, 'peak.cjs');
writeFileSync(hook, "process.on('exit', () => require('fs').writeFileSync(process.env.PEAK_FILE, String(process.resourceUsage().maxRSS)));\n");
const peakFile = path.join(dir, 'peak');
await run(cli, ['--toolchain', path.join(dir, 'toolchain'), '--work', path.join(dir, 'work'), '--cache', path.join(dir, 'cache'), 'build', '--no-artifact-cache'], { env: { PEAK_FILE: peakFile, NODE_OPTIONS: `--require ${hook}` } });
const peakMiB = Number(execFileSync('cat', [peakFile]).toString()) / 1024;
const out = path.join(dir, 'work/out');
const deb = readdirSync(out).find((name) => name.endsWith('.deb'));
console.log(`node's peak RSS while building and packaging: ${peakMiB.toFixed(0)} MiB; ${deb}: ${(statSync(path.join(out, deb)).size / 2 ** 20).toFixed(0)} MiB, from an image of ${((200e6 + 120e6) / 2 ** 20).toFixed(0)} MiB`);
