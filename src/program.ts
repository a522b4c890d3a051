import { Argument, Command, Option } from '@commander-js/extra-typings';
import { COMPRESSIONS } from './formats/compression.js';
import { UserError } from './errors.js';
import { OSABI_OPTIONS } from './commands/osabi-args.js';
import { z } from 'zod';

// zod compiles a fast path for each schema with new Function the first time it parses; one run
// validates a few dozen objects, for which compiling costs more than it saves.
z.config({ jitless: true });

// Commands are imported when they run, so `--help` or a build with nothing to do does not load
// every library the other commands use.
const GRAPH_FORMATS = ['text', 'dot', 'json'] as const;
const TIMELINE_FORMATS = ['html', 'svg'] as const;
// Kept here rather than imported from commands/binfmt.ts, which would load that module for every command.
const BINFMT_ACTIONS = ['register', 'unregister', 'status'] as const;

const collect = (value: string, previous: string[]): string[] => [...previous, value];

const outOption = () => new Option('--out <dir>', 'folder for the .deb files and the apt index (default: <work>/out)');
const compressOption = () => new Option('--compress <format>', 'compression of the package members (default: the profile\'s, xz)').choices(COMPRESSIONS);
const signOption = () => new Option('--sign <keyid>', 'sign the apt index with this gpg key (InRelease, Release.gpg)');

/** The whole command line, for everything but the common form of `osabi` (see cli.ts). */
export function program(): Command {
  const cli = new Command('hermit-toolchain')
    .description(
      'Builds the HermitCore cross toolchain (x86_64-hermit) from pinned upstream sources and packages it for Debian. ' +
        'Recipes live in <toolchain>/recipes/*.yaml; every task is keyed by a hash of its inputs, so a rerun does only what changed.',
    )
    .option('--toolchain <dir>', 'toolchain directory holding toolchain.yaml, recipes/ and patches/ (default: this repository)')
    .option('--config <file>', 'profile to use instead of <toolchain>/toolchain.yaml')
    .option('--work <dir>', 'work directory for sources, builds, images, logs and state', 'build')
    .option('--cache <dir>', 'download cache shared by work directories (default: $XDG_CACHE_HOME/hermit-toolchain)')
    .option('-j, --jobs <n>', 'job budget shared by all tasks and their makes (default: number of cores)')
    .option('--mirror <dir|url>', 'premirror tried before every upstream source, before the profile\'s `mirrors` (repeatable): files by name, git repositories as <name>.git, git pins as <repository>-<commit>.tar.gz verified by the recipe\'s archive-sha256', collect, [] as string[])
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
Examples:
  hermit-toolchain build                      build every recipe (and its packages)
  hermit-toolchain build newlib --jobs 2      build newlib and what it needs
  hermit-toolchain graph --format dot | dot -Tsvg > graph.svg
  hermit-toolchain list                       which recipes are up to date`,
    );

  cli
    .command('build')
    .description('build recipes and everything they need (all recipes when none are named)')
    .argument('[recipes...]', 'recipes to build')
    .option('--force <recipe>', 'run every task of this recipe again (repeatable)', collect, [] as string[])
    .option('-k, --keep-going', 'after a failure, go on with everything that does not depend on it')
    .addOption(outOption())
    .addOption(compressOption())
    .addOption(signOption())
    .option('--offline', 'never touch the network: every source must already be in the cache')
    .option('--source <name=path>', 'build a recipe from a local folder or tarball instead of its pinned source (repeatable)', collect, [] as string[])
    .option('--touch', 'mark every task done without running it, like make -t (sources must be in the cache)')
    .option('--no-artifact-cache', 'neither restore images from the artifact cache (<cache>/artifacts) nor store them there')
    .option('--no-restore', 'restore no image from the artifact cache, but store what is built: a clean build that fills the cache')
    .option('--remote-cache <url>', 'also look images up in this HTTP cache (<url>/ac/<key>, <url>/cas/<sha256>); header from $HERMIT_CACHE_HEADER')
    .option('--remote-cache-write', 'upload images built here to the remote cache')
    .option('--ccache', 'run every compiler through ccache (cache in <cache>/ccache; $CCACHE_REMOTE_STORAGE is passed on)')
    .option('--no-package', 'stop at the installed images: write no .deb and no apt index (`package` does that later)')
    .addHelpText(
      'after',
      '\nEnds with "cache: R restored, S stored, M misses" and one line "summary: ran N tasks, skipped M, failed K in <time>"\n' +
        '(restored tasks count as skipped). Ctrl-C stops every running step and exits 130 (129 when the terminal closes); the next\nbuild resumes where this one stopped.\n' +
        'Without a terminal (CI, a pipe), a task still running after $HERMIT_HEARTBEAT_SECONDS (default 60; 0: never) prints a\n' +
        'line saying so, with its time so far and the last line of its log, and again at that interval. On a terminal, each\n' +
        'running task shows its time against the last build\'s, and a first row estimates what is left from those times.\n' +
        'Afterwards <work>/logs/timeline.html draws the run (see `timeline --help`); its path is printed before the summary.',
    )
    .action(async (recipes, options, command) => {
      const { buildCommand } = await import('./commands/build.js');
      process.exitCode = await buildCommand(recipes, { ...command.optsWithGlobals(), ...options });
    });

  const cache = cli.command('cache').description('inspect and trim the artifact cache and the compiler cache');
  cache
    .command('stats')
    .description('show the artifact cache (entries, size, restores) and ccache --show-stats')
    .action(async (_options, command) => {
      const { cacheStatsCommand } = await import('./commands/cache.js');
      process.exitCode = await cacheStatsCommand(command.optsWithGlobals());
    });
  cache
    .command('prune')
    .description('remove the least recently used artifacts until the cache fits')
    .requiredOption('--max-size <size>', 'size to shrink to: 500M and 10G are decimal, 512Mi and 2GiB binary')
    .action(async (options, command) => {
      const { cachePruneCommand } = await import('./commands/cache.js');
      process.exitCode = await cachePruneCommand({ ...command.optsWithGlobals(), ...options });
    });

  cli
    .command('fetch')
    .description('download every source a build of these recipes would need (all recipes when none are named)')
    .argument('[recipes...]', 'recipes whose sources (and whose needs\' sources) to fetch')
    .option('--offline', 'check only: name every source missing from the cache, download nothing')
    .addHelpText(
      'after',
      '\nDownloads go to the cache (--cache), verified by sha256 while streaming. Order of places: the profile\'s\n' +
        'premirrors, the recipe\'s url, its mirrors, then its verified alternates (e.g. a Debian source package).\n' +
        'Afterwards `build --offline` needs no network.',
    )
    .action(async (recipes, options, command) => {
      const { buildCommand } = await import('./commands/build.js');
      process.exitCode = await buildCommand(recipes, { ...command.optsWithGlobals(), ...options }, ['fetch']);
    });

  cli
    .command('package')
    .description('build the .deb of every recipe with a package section from the last build\'s images, and the apt index')
    .argument('[recipes...]', 'package only these recipes')
    .option('--tree <dir>', 'instead, pack a ready tree with a DEBIAN/control, like dpkg-deb --root-owner-group -b')
    .addOption(outOption())
    .addOption(compressOption())
    .addOption(signOption())
    .addHelpText(
      'after',
      `
Packages are named NAME_VERSION_ARCH.deb; the output folder is a flat apt repository:
  deb [trusted=yes] file:/path/to/out ./
SOURCE_DATE_EPOCH (environment, for --tree) or the profile's source-date-epoch clamps every mtime.`,
    )
    .action(async (recipes, options, command) => {
      const { tree, ...rest } = options;
      if (tree !== undefined) {
        if (recipes.length > 0) throw new UserError('package --tree packs one tree: name no recipes with it');
        const { packageTreeCommand } = await import('./commands/package-tree.js');
        process.exitCode = await packageTreeCommand({ ...command.optsWithGlobals(), ...rest, tree });
        return;
      }
      const { packageCommand } = await import('./commands/package.js');
      process.exitCode = await packageCommand(recipes, { ...command.optsWithGlobals(), ...rest });
    });

  cli
    .command('legal-info')
    .description('write the licences, exact source archives and patch series of the last build\'s packages, with a manifest and SHA256SUMS')
    .option('--out <dir>', 'folder to write (default: <work>/legal-info); an existing one is replaced only if it is empty or a legal-info folder')
    .addHelpText(
      'after',
      `
Covers every recipe whose .deb the last build in --work wrote, and every recipe those were built
from through \`needs\` (their package column is empty: e.g. lwip, compiled into libhermit, and
gcc-bootstrap, which compiled newlib from gcc's source). A recipe without a source (the meta
package hermit-toolchain) has no files. Everything comes from the download cache (--cache); no
network. Writes:
  sources/<recipe>-<version>/<archive>     the archive the build unpacked: the release file, the
                                           file a Debian alternate provided (the origin column names
                                           the .deb and the file in it), a git pin's verified archive,
                                           or a tarball made here from the cached repository at the
                                           pinned commit (deterministic: same commit, same bytes)
  sources/<recipe>-<version>/patches/      the patch series as applied, and \`series\`, their order
                                           (quilt's format; each applies with patch -p1)
  manifest.csv                             CSV, one row per file: recipe, package, version, license
                                           (SPDX, the recipe's), kind (source, patch, series), path
                                           (relative to the folder), sha256, origin
  SHA256SUMS                               every file, manifest.csv too: cd DIR && sha256sum -c SHA256SUMS
Which archive a build used is what its unpack recorded; a recipe whose image came from the artifact
cache has no record, and gets the source a build would use now (the origin column says so). A source
missing from the cache is an error naming it; so is a package whose recipe, patches or sources
changed since it was built (build first). Archives are hard links into the cache where possible.`,
    )
    .action(async (options, command) => {
      const { legalInfoCommand } = await import('./commands/legal-info.js');
      process.exitCode = await legalInfoCommand({ ...command.optsWithGlobals(), ...options });
    });

  cli
    .command('graph')
    .description('print the task graph with each task key')
    .argument('[recipes...]', 'limit to these recipes and what they need')
    .addOption(new Option('--format <format>', 'output format').choices(GRAPH_FORMATS).default('text' as const))
    .action(async (recipes, options, command) => {
      const { graphCommand } = await import('./commands/graph.js');
      process.exitCode = await graphCommand(recipes, { ...command.optsWithGlobals(), ...options });
    });

  cli
    .command('timeline')
    .description('draw the last build of the work directory as a chart: a row per recipe, its tasks as bars over wall time')
    .addOption(new Option('--format <format>', 'html: a page with the chart, the critical path and the longest waits; svg: the chart alone').choices(TIMELINE_FORMATS).default('html' as const))
    .option('--out <file>', 'where to write it (default: <work>/logs/timeline.html or .svg)')
    .addHelpText(
      'after',
      `
Every build that runs or restores a task records its tasks' times in <work>/logs/timeline.json
(also when it fails or is interrupted; a build with nothing to do keeps the last record) and draws
<work>/logs/timeline.html beside it. This command draws that record again, e.g. as an SVG, and
prints the file's path. The file is self-contained: open it in any browser, offline.

What the chart shows:
  bars        each task from its start to its end, coloured by kind (fetch, unpack, ... package);
              a thin grey bar: skipped (up to date); dashed: restored from the artifact cache;
              red outline: failed
  hatching    the time a task was ready (its dependencies done) but had not started: queued
              behind other ready tasks, then waiting for a job slot (-j)
  outline     the critical path of this run: the chain of tasks that decided when it ended. It
              ends at the task that finished last; from each task it goes back to whatever its
              start waited for last: its dependency that finished last (solid arrow), or, when it
              waited for a slot, the task that gave back the last slot before it started (dashed)
  bottom      job slots held by tasks over time against -j (a make's own jobs are not counted),
              and how many tasks were waiting
Hover a bar for its task, times and waits.

Examples:
  hermit-toolchain timeline                       rewrite build/logs/timeline.html, print its path
  hermit-toolchain timeline --format svg --out build.svg`,
    )
    .action(async (options, command) => {
      const { timelineCommand } = await import('./commands/timeline.js');
      process.exitCode = await timelineCommand({ ...command.optsWithGlobals(), ...options });
    });

  cli
    .command('list')
    .description('list recipes, their versions and packages, and whether each is up to date')
    .action(async (_options, command) => {
      const { listCommand } = await import('./commands/list.js');
      process.exitCode = await listCommand(command.optsWithGlobals());
    });

  cli
    .command('doctor')
    .description('check that this machine has everything a full build needs (commands, GCC\'s libraries, disk, cores, memory)')
    .option('--fix', 'install the missing Debian packages with apt-get (as root; otherwise print the command)')
    .addHelpText('after', '\nPrints one row per check with the Debian package that provides what is missing; needs no network.\nExit code 0 only when nothing needed is missing (warnings do not count).')
    .action(async (options, command) => {
      const { doctorCommand } = await import('./commands/doctor.js');
      process.exitCode = await doctorCommand({ ...command.optsWithGlobals(), ...options });
    });

  cli
    .command('bootstrap')
    .description('install a working toolchain on this machine from an apt repository, or build one first')
    .argument('[packages...]', 'packages to install (default: hermit-toolchain if the repository has it, else all)')
    .option('--from <dir|url>', 'apt repository to install from: a folder (e.g. another machine\'s <work>/out) or a URL (default: build here)')
    .option('--root <dir>', 'install under this folder (dpkg --root, files under it) instead of this machine')
    .option('--dry-run', 'print every action without doing it')
    .option('--binfmt', 'also register the HermitCore loader with binfmt_misc')
    .option('--binfmt-dir <dir>', 'the binfmt_misc mount to use (default: /proc/sys/fs/binfmt_misc, under --root when given)')
    .addOption(outOption())
    .addHelpText(
      'after',
      `
Writes /etc/apt/sources.list.d/hermit-toolchain.list ("deb [trusted=yes] <repository> ./"), runs
apt-get update for that list alone and apt-get install, writes /etc/profile.d/hermit-toolchain.sh
(<prefix>/bin on PATH), then verifies: packages installed and intact, PATH, and a hello world built
with <prefix>/bin/<target>-gcc (skipped when the packages have no compiler). Needs root unless
--dry-run or --root.`,
    )
    .action(async (packages, options, command) => {
      const { bootstrapCommand } = await import('./commands/bootstrap.js');
      process.exitCode = await bootstrapCommand(packages, { ...command.optsWithGlobals(), ...options });
    });

  cli
    .command('binfmt')
    .description('register the HermitCore loader with binfmt_misc, so HermitCore executables start like Linux ones')
    .addArgument(new Argument('<action>', 'what to do').choices(BINFMT_ACTIONS))
    .option('--binfmt-dir <dir>', 'the binfmt_misc mount to use', '/proc/sys/fs/binfmt_misc')
    .option('--interpreter <path>', 'the proxy to register (default: <prefix>/bin/proxy), e.g. one installed with bootstrap --root')
    .option('--dry-run', 'print the exact line and every write without doing them')
    .addHelpText(
      'after',
      `
The entry matches ELF files whose OS/ABI byte (offset 7) is the profile's osabi and runs
<prefix>/bin/proxy on them, e.g. for the default profile (Standalone, 0xFF):
  :hermit:M:7:\\xff::/opt/hermit/bin/proxy:
register keeps an identical entry and replaces a different one; status exits 0 only when the
registered entry is the profile's and enabled.`,
    )
    .action(async (action, options, command) => {
      const { binfmtCommand } = await import('./commands/binfmt.js');
      process.exitCode = await binfmtCommand(action, { ...command.optsWithGlobals(), ...options });
    });

  cli
    .command('clean')
    .description('remove what recipes left in the work directory (everything when none are named)')
    .argument('[recipes...]', 'recipes to clean')
    .action(async (recipes, _options, command) => {
      const { cleanCommand } = await import('./commands/clean.js');
      process.exitCode = await cleanCommand(recipes, command.optsWithGlobals());
    });

  cli
    .command('osabi')
    .description('read or set the ELF OS/ABI byte (e_ident[7]) of objects, executables, shared objects and archives')
    .argument('<files...>', 'ELF files and ar archives (every member of an archive is changed)')
    .option(OSABI_OPTIONS.set.flags, OSABI_OPTIONS.set.description)
    .option(OSABI_OPTIONS.get.flags, OSABI_OPTIONS.get.description)
    .option(OSABI_OPTIONS['input-osabi'].flags, OSABI_OPTIONS['input-osabi'].description)
    .option(OSABI_OPTIONS.verbose.flags, OSABI_OPTIONS.verbose.description)
    .addHelpText(
      'after',
      `
Does what \`elfedit --output-osabi\` does, without a patched binutils, and knows the names
HermitCore (0x42) and Standalone (0xff). A file is validated whole before anything is written:
files that are not ELF, thin archives, archives with a non-ELF member and truncated headers are
refused and left untouched; the other files are still done, and the exit code is 1. Files are
edited in place (links, owner and mode stay) and only their OS/ABI bytes change; a file that
already has the value is not written. Unlike elfedit, headers left alone by --input-osabi are
not an error.

Examples:
  hermit-toolchain osabi --set Standalone entry.o libkern.a
  hermit-toolchain osabi --set HermitCore --input-osabi none *.o
  hermit-toolchain osabi --get /opt/hermit/x86_64-hermit/lib/libc.a`,
    )
    .action(async (files, options) => {
      const { osabiCommand } = await import('./commands/osabi.js');
      process.exitCode = await osabiCommand(files, options);
    });

  return cli;
}

