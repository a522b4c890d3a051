/**
 * Which Debian package provides a host command or header. The map is static so `doctor` can
 * name a package without network or apt-file; commands it does not know get a guess (see
 * `packageForCommand`) that the report marks as one.
 */

/**
 * Debian (bookworm) packages by command, checked with `dpkg -S` on Debian 12: the package a user
 * installs, so `gcc` (whose command comes from gcc-12 through it) rather than gcc-12.
 */
export const COMMAND_PACKAGES: Readonly<Record<string, string>> = {
  make: 'make',
  sh: 'dash',
  bash: 'bash',
  gcc: 'gcc',
  cc: 'gcc',
  'g++': 'g++',
  'c++': 'g++',
  cpp: 'cpp',
  makeinfo: 'texinfo',
  texi2any: 'texinfo',
  bison: 'bison',
  yacc: 'bison',
  flex: 'flex',
  lex: 'flex',
  cmake: 'cmake',
  ccache: 'ccache',
  nasm: 'nasm',
  patch: 'patch',
  xz: 'xz-utils',
  zstd: 'zstd',
  bzip2: 'bzip2',
  gzip: 'gzip',
  tar: 'tar',
  unzip: 'unzip',
  zip: 'zip',
  git: 'git',
  dpkg: 'dpkg',
  'dpkg-deb': 'dpkg',
  'dpkg-query': 'dpkg',
  'dpkg-architecture': 'dpkg-dev',
  'dpkg-shlibdeps': 'dpkg-dev',
  'apt-get': 'apt',
  ldconfig: 'libc-bin',
  m4: 'm4',
  perl: 'perl',
  python3: 'python3',
  python: 'python-is-python3',
  hexdump: 'bsdextrautils',
  autoconf: 'autoconf',
  autoreconf: 'autoconf',
  automake: 'automake',
  aclocal: 'automake',
  libtool: 'libtool',
  libtoolize: 'libtool',
  'pkg-config': 'pkg-config',
  pkgconf: 'pkgconf',
  ar: 'binutils',
  as: 'binutils',
  ld: 'binutils',
  nm: 'binutils',
  objcopy: 'binutils',
  objdump: 'binutils',
  ranlib: 'binutils',
  readelf: 'binutils',
  elfedit: 'binutils',
  strip: 'binutils',
  file: 'file',
  gawk: 'gawk',
  awk: 'mawk',
  sed: 'sed',
  grep: 'grep',
  diff: 'diffutils',
  find: 'findutils',
  xargs: 'findutils',
  install: 'coreutils',
  env: 'coreutils',
  mkfifo: 'coreutils',
  help2man: 'help2man',
  gettext: 'gettext-base',
  msgfmt: 'gettext',
  rsync: 'rsync',
  curl: 'curl',
  wget: 'wget',
  gpg: 'gpg',
  lintian: 'lintian',
  qemu: 'qemu-system-x86',
  'qemu-system-x86_64': 'qemu-system-x86',
};

/** A header the compiler must find, the Debian package shipping it, and the macro holding its version. */
export interface HeaderRequirement {
  readonly header: string;
  readonly library: string;
  readonly package: string;
  /** Oldest version GCC 12 accepts (gcc.gnu.org/install/prerequisites.html for GCC 12). */
  readonly minimum: string | undefined;
}

/** GCC's libraries: GMP, MPFR and MPC are required, ISL enables Graphite (hermit-gcc builds --with-isl). */
export const GCC_HEADERS: readonly HeaderRequirement[] = [
  { header: 'gmp.h', library: 'GMP', package: 'libgmp-dev', minimum: '4.3.2' },
  { header: 'mpfr.h', library: 'MPFR', package: 'libmpfr-dev', minimum: '3.1.0' },
  { header: 'mpc.h', library: 'MPC', package: 'libmpc-dev', minimum: '1.0.1' },
  // isl/version.h declares isl_version() but defines no version macro: presence is checked.
  { header: 'isl/version.h', library: 'ISL', package: 'libisl-dev', minimum: undefined },
];

export interface PackageGuess {
  readonly package: string;
  /** False when the name comes from a rule of thumb rather than the map. */
  readonly known: boolean;
}

/**
 * The package for a command: from the map, else from rules of thumb — a versioned command
 * (`gcc-12`, `python3.11`) is shipped by the package of that name or of its unversioned command,
 * a cross tool (`x86_64-linux-gnu-gcc`) by the package of the tool, and anything else most often
 * by a package named like the command.
 */
export function packageForCommand(command: string): PackageGuess {
  const known = COMMAND_PACKAGES[command];
  if (known) return { package: known, known: true };
  const cross = /^[a-z0-9_]+-linux-gnu[a-z0-9_]*-(.+)$/.exec(command);
  if (cross && COMMAND_PACKAGES[cross[1]!]) return { package: COMMAND_PACKAGES[cross[1]!]!, known: false };
  const python = /^python(3\.\d+)$/.exec(command);
  if (python) return { package: `python${python[1]}`, known: false };
  const versioned = /^(.+?)-\d+(\.\d+)*$/.exec(command);
  if (versioned && COMMAND_PACKAGES[versioned[1]!]) return { package: command, known: false };
  return { package: command.toLowerCase().replace(/[^a-z0-9.+-]/g, '-'), known: false };
}
