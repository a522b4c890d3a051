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
  const ours = () => run('node', [CLI, 'osabi', '--set', name, ...files]);
  const theirs = () => run('elfedit', ['--output-osabi', name, ...files]);

  // Warm-up, not counted: the page cache, and node's first start.
  for (const fn of [theirs, ours]) {
    prepare('warm-up');
    await fn();
  }
  const samples = await compare({ rounds, ours, theirs, prepare });
  check('the last call');

  // For reference: what starting the CLI costs with no work, and a bare node.
  const help = [];
  const bare = [];
  for (let round = 0; round < rounds; round++) {
    help.push(await time(() => run('node', [CLI, '--help'])));
    bare.push(await time(() => run('node', ['-e', '0'])));
  }
  // Some machines (this project's sandboxes among them) set NODE_EXTRA_CA_CERTS for npm: node
  // then parses that CA bundle at every start, before any of our code runs. Say what it costs.
  let caNote = '';
  const bareDefault = [];
  if (process.env.NODE_EXTRA_CA_CERTS) {
    for (let round = 0; round < rounds; round++) bareDefault.push(await time(() => run('node', ['-e', '0'], { env: { NODE_EXTRA_CA_CERTS: undefined } })));
    caNote = ` (NODE_EXTRA_CA_CERTS is set: without it node -e 0 takes ${median(bareDefault).toFixed(0)} ms; rerun under env -u NODE_EXTRA_CA_CERTS for node's default start)`;
  }
  const megabytes = (readFileSync(files[0]).length / 1e6).toFixed(1);
  return [
    summarize(`osabi --set, ${copies} copies of libc.a (${megabytes} MB each)`, samples, 'ms', {
      note: `vs elfedit --output-osabi; hermit-toolchain --help alone ${median(help).toFixed(0)} ms, node -e 0 ${median(bare).toFixed(0)} ms${caNote}`,
      startup: { help, node: bare, nodeWithoutExtraCaCerts: bareDefault },
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
