// OS/ABI stamping: `hermit-toolchain osabi --set` against binutils' `elfedit --output-osabi` on
// 20 copies of the host's libc.a (about 2000 members each), one call per side with all 20 files,
// process start included. The sides alternate on the same files and every call sets the value
// the files do not hold, so every call changes every header (checked after each call).
//
//   node scripts/bench/osabi.mjs [--rounds N] [--copies N] [--json FILE]
// Runs the compiled CLI (`npm run build` first). Needs binutils and libc6-dev.
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, REPO, compare, median, run, standalone, summarize, time, tempDir } from './lib.mjs';

const LIBC = '/usr/lib/x86_64-linux-gnu/libc.a';

// Two names both tools know; each call sets the one the files do not hold now.
const NAMES = [
  ['FreeBSD', 9],
  ['NetBSD', 2],
];

/** The OS/ABI byte of the first ELF member: proof that the last call changed the files. */
function firstMemberOsabi(file) {
  const bytes = readFileSync(file);
  return bytes[bytes.indexOf(Buffer.from([0x7f, 0x45, 0x4c, 0x46]), 8) + 7];
}

export async function osabi({ rounds, copies = 20, source = LIBC }) {
  if (!existsSync(path.join(REPO, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run `npm run build` first');
  if (!existsSync(source)) throw new Error(`${source} is missing (Debian: apt-get install libc6-dev)`);
  const dir = tempDir('ht-bench-osabi-');
  const files = Array.from({ length: copies }, (_, i) => {
    const file = path.join(dir, `libc${i}.a`);
    copyFileSync(source, file);
    return file;
  });

  let calls = 0;
  let expected;
  const next = () => {
    const [name, value] = NAMES[calls++ % NAMES.length];
    expected = value;
    return name;
  };
  const check = (side) => {
    if (expected !== undefined && firstMemberOsabi(files.at(-1)) !== expected) throw new Error(`${side}: the files do not hold ${expected} after the call`);
  };
  let name;
  const prepare = (side) => {
    check(`before ${side}`);
    name = next();
  };
  const ours = () => run(CLI, ['osabi', '--set', name, ...files]);
  const theirs = () => run('elfedit', ['--output-osabi', name, ...files]);
  // Some machines (this project's sandboxes among them) set NODE_EXTRA_CA_CERTS for npm: node
  // then parses that CA bundle at every start, before any of our code runs. When it is set, our
  // side is also measured without it (node's default start), and both rows are printed.
  const extraCaCerts = Boolean(process.env.NODE_EXTRA_CA_CERTS);
  const defaultEnv = { env: { NODE_EXTRA_CA_CERTS: undefined } };
  const oursDefault = () => run(CLI, ['osabi', '--set', name, ...files], defaultEnv);

  // Warm-up, not counted: the page cache, and node's first start.
  for (const fn of [theirs, ours]) {
    prepare('warm-up');
    await fn();
  }
  const samples = await compare({ rounds, ours, theirs, prepare });
  const samplesDefault = extraCaCerts ? await compare({ rounds, ours: oursDefault, theirs, prepare }) : undefined;
  check('the last call');

  // For reference: what starting the CLI costs with no work, and a bare node.
  const help = [];
  const bare = [];
  const bareDefault = [];
  for (let round = 0; round < rounds; round++) {
    help.push(await time(() => run(CLI, ['--help'])));
    bare.push(await time(() => run('node', ['-e', '0'])));
    if (extraCaCerts) bareDefault.push(await time(() => run('node', ['-e', '0'], defaultEnv)));
  }
  const megabytes = (readFileSync(files[0]).length / 1e6).toFixed(1);
  const title = `osabi --set, ${copies} copies of libc.a (${megabytes} MB each)`;
  const reference = `hermit-toolchain --help alone ${median(help).toFixed(0)} ms, node -e 0 ${median(bare).toFixed(0)} ms`;
  if (!extraCaCerts) {
    return [summarize(title, samples, 'ms', { note: `vs elfedit --output-osabi; ${reference}`, startup: { help, node: bare } })];
  }
  return [
    summarize(`${title}, node's default start`, samplesDefault, 'ms', {
      note: `vs elfedit --output-osabi; NODE_EXTRA_CA_CERTS removed for our side (node -e 0 ${median(bareDefault).toFixed(0)} ms)`,
      startup: { node: bareDefault },
    }),
    summarize(`${title}, NODE_EXTRA_CA_CERTS set`, samples, 'ms', {
      note: `as this machine is configured: node parses that CA bundle at every start; ${reference}`,
      startup: { help, node: bare },
    }),
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const argv = process.argv.slice(2);
  const copiesAt = argv.indexOf('--copies');
  await standalone((options) =>
    osabi({
      // A single call takes about a tenth of a second: more rounds than the default five.
      rounds: argv.includes('--rounds') ? options.rounds : 11,
      copies: copiesAt >= 0 ? Number(argv[copiesAt + 1]) : 20,
    }),
  );
}
