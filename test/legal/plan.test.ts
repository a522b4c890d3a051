import { describe, expect, it } from 'vitest';
import { chooseSource, manifestCsv, planFiles, planRecipeFiles, sha256Sums, LegalInfoError, type ManifestRow, type Presence, type SourceChoice } from '../../src/legal/plan.js';
import type { SourceContext } from '../../src/sources/source.js';
import { recipe } from '../support/recipes.js';

const CACHE = '/cache';
const ctx: SourceContext = { cacheDir: CACHE, offline: true, premirrors: [], overrides: new Map(), toolchainDir: '/toolchain' };
const RELEASE = '1'.repeat(64);
const DEB = '2'.repeat(64);
const ALT = '3'.repeat(64);
const ARCHIVE = '4'.repeat(64);
const COMMIT = 'c'.repeat(40);

const gcc = recipe(
  'gcc',
  {
    version: '12.2.0',
    license: 'GPL-3.0-or-later WITH GCC-exception-3.1',
    source: {
      url: 'https://ftp.gnu.org/gnu/gcc/gcc-12.2.0/gcc-12.2.0.tar.xz',
      sha256: RELEASE,
      alternates: [
        {
          deb: { package: 'gcc-12-source', version: '12.2.0-14+deb12u1', sha256: DEB },
          file: 'usr/src/gcc-12/gcc-12.2.0-dfsg.tar.xz',
          sha256: ALT,
          patches: 'patches/gcc/12.2.0-debian',
        },
      ],
    },
    patches: 'patches/gcc/12.2.0',
  },
  '/toolchain/patches/gcc/12.2.0',
);
const lwip = recipe('lwip', {
  version: '2.0.0-hermit',
  license: 'BSD-3-Clause',
  source: { git: { url: 'https://github.com/hermitcore/LwIP.git', commit: COMMIT, 'archive-sha256': ARCHIVE } },
});

const releaseFile = `${CACHE}/downloads/${RELEASE}/gcc-12.2.0.tar.xz`;
const altFile = `${CACHE}/downloads/${ALT}/gcc-12.2.0-dfsg.tar.xz`;
const archiveFile = `${CACHE}/downloads/${ARCHIVE}/lwip-${COMMIT}.tar.gz`;
const ALT_LABEL = `usr/src/gcc-12/gcc-12.2.0-dfsg.tar.xz from Debian package gcc-12-source=12.2.0-14+deb12u1 (sha256 ${ALT})`;
const has = (files: string[], git = false): Presence => ({ git, files: new Set(files) });

function chosen(choice: ReturnType<typeof chooseSource>): SourceChoice {
  if (choice.kind === 'missing') throw new Error(`missing: ${choice.line}`);
  return choice;
}

describe('chooseSource', () => {
  it('takes the archive the unpack recorded, an alternate among them, and names the .deb it came out of', () => {
    const choice = chosen(chooseSource(ctx, gcc, ALT_LABEL, has([releaseFile, altFile])));
    expect(choice.kind === 'file' && choice.artifact.file).toBe(altFile);
    expect(choice.origin).toBe(
      `usr/src/gcc-12/gcc-12.2.0-dfsg.tar.xz taken out of Debian package gcc-12-source=12.2.0-14+deb12u1 (gcc-12-source_12.2.0-14+deb12u1.deb, sha256 ${DEB})`,
    );
  });

  it('takes the release file by its label, with its URL as the origin', () => {
    const choice = chosen(chooseSource(ctx, gcc, `gcc-12.2.0.tar.xz (sha256 ${RELEASE})`, has([releaseFile, altFile])));
    expect(choice.kind === 'file' && choice.artifact.file).toBe(releaseFile);
    expect(choice.origin).toBe('https://ftp.gnu.org/gnu/gcc/gcc-12.2.0/gcc-12.2.0.tar.xz');
  });

  it('tells a git pin built from its verified archive from one exported from the repository', () => {
    const archived = chosen(chooseSource(ctx, lwip, `git https://github.com/hermitcore/LwIP.git ${COMMIT} as lwip-${COMMIT}.tar.gz (sha256 ${ARCHIVE})`, has([archiveFile], true)));
    expect(archived.kind === 'file' && archived.artifact.file).toBe(archiveFile);
    expect(archived.origin).toBe(`git https://github.com/hermitcore/LwIP.git at ${COMMIT}, as the verified archive lwip-${COMMIT}.tar.gz`);
    const exported = chosen(chooseSource(ctx, lwip, `git https://github.com/hermitcore/LwIP.git ${COMMIT}`, has([archiveFile], true)));
    expect(exported.kind).toBe('git');
    expect(exported.origin).toBe(`git https://github.com/hermitcore/LwIP.git at ${COMMIT}, made here from the cached repository`);
  });

  it('without a record (an image from the artifact cache) takes what a build would use now, and says so', () => {
    const choice = chosen(chooseSource(ctx, gcc, undefined, has([altFile])));
    expect(choice.kind === 'file' && choice.artifact.file).toBe(altFile);
    expect(choice.origin).toMatch(/^not unpacked by the last build \(its image came from the artifact cache\); what a build uses now: usr\/src/);
    expect(chosen(chooseSource(ctx, lwip, '', has([archiveFile], true))).kind).toBe('git');
  });

  it('names the recorded source when the cache no longer has it, in one line', () => {
    expect(chooseSource(ctx, gcc, ALT_LABEL, has([releaseFile]))).toEqual({
      kind: 'missing',
      line: `gcc: ${ALT_LABEL} is not in the cache /cache (run \`hermit-toolchain fetch gcc\`)`,
    });
    expect(chooseSource(ctx, lwip, undefined, has([]))).toEqual({
      kind: 'missing',
      line: `lwip: git https://github.com/hermitcore/LwIP.git at ${COMMIT} or git https://github.com/hermitcore/LwIP.git ${COMMIT} as lwip-${COMMIT}.tar.gz (sha256 ${ARCHIVE}) is not in the cache /cache (run \`hermit-toolchain fetch lwip\`)`,
    });
  });

  it('refuses a local source and a label that is none of the recipe\'s', () => {
    expect(() => chooseSource(ctx, gcc, 'override /home/me/gcc', has([releaseFile]))).toThrow(/gcc: the last build used a local source \(\/home\/me\/gcc, given with --source\)/);
    expect(() => chooseSource(ctx, gcc, 'gcc-11.tar.xz (sha256 0)', has([releaseFile]))).toThrow(LegalInfoError);
  });
});

describe('planRecipeFiles', () => {
  const alternate = chosen(chooseSource(ctx, gcc, ALT_LABEL, has([altFile])));
  const series = [
    { dir: '/toolchain/patches/gcc/12.2.0-debian', files: ['/toolchain/patches/gcc/12.2.0-debian/0001-dfsg.patch'] },
    { dir: '/toolchain/patches/gcc/12.2.0', files: ['/toolchain/patches/gcc/12.2.0/0001-hermit.patch', '/toolchain/patches/gcc/12.2.0/0002-libgomp.patch'] },
  ];

  it('puts the archive and the patch series, in the order applied, under sources/<recipe>-<version>/', () => {
    const files = planRecipeFiles({ recipe: gcc, packageName: 'gcc-hermit', source: alternate, patches: series, toolchainDir: '/toolchain' });
    expect(files.map((f) => [f.kind, f.path, f.origin])).toEqual([
      ['source', 'sources/gcc-12.2.0/gcc-12.2.0-dfsg.tar.xz', alternate.origin],
      ['patch', 'sources/gcc-12.2.0/patches/gcc/12.2.0-debian/0001-dfsg.patch', 'patches/gcc/12.2.0-debian/0001-dfsg.patch'],
      ['patch', 'sources/gcc-12.2.0/patches/gcc/12.2.0/0001-hermit.patch', 'patches/gcc/12.2.0/0001-hermit.patch'],
      ['patch', 'sources/gcc-12.2.0/patches/gcc/12.2.0/0002-libgomp.patch', 'patches/gcc/12.2.0/0002-libgomp.patch'],
      ['series', 'sources/gcc-12.2.0/patches/series', 'the order the patches were applied in (patch -p1), as quilt reads it'],
    ]);
    expect(files[0]!.from).toEqual({ cached: altFile, sha256: ALT });
    expect(files.at(-1)!.from).toEqual({ text: 'gcc/12.2.0-debian/0001-dfsg.patch\ngcc/12.2.0/0001-hermit.patch\ngcc/12.2.0/0002-libgomp.patch\n' });
    expect(new Set(files.map((f) => `${f.recipe} ${f.package} ${f.version} ${f.license}`))).toEqual(new Set(['gcc gcc-hermit 12.2.0 GPL-3.0-or-later WITH GCC-exception-3.1']));
  });

  it('makes a tarball of an exported git tree, named as Buildroot names git tarballs; no patches, no series', () => {
    const exported = chosen(chooseSource(ctx, lwip, `git https://github.com/hermitcore/LwIP.git ${COMMIT}`, has([], true)));
    const files = planRecipeFiles({ recipe: lwip, packageName: undefined, source: exported, patches: [{ dir: '/toolchain/patches/lwip', files: [] }], toolchainDir: '/toolchain' });
    expect(files).toHaveLength(1);
    expect(files[0]).toMatchObject({ package: '', kind: 'source', path: `sources/lwip-2.0.0-hermit/lwip-${COMMIT}.tar.gz` });
    expect(files[0]!.from).toEqual({ git: { url: 'https://github.com/hermitcore/LwIP.git', commit: COMMIT, submodules: false, archiveSha256: ARCHIVE }, top: `lwip-${COMMIT}` });
  });

  it('keeps a patch folder outside the toolchain\'s patches/ apart, and refuses names sha256sum would escape', () => {
    const files = planRecipeFiles({ recipe: gcc, packageName: 'gcc-hermit', source: alternate, patches: [{ dir: '/elsewhere', files: ['/elsewhere/a.patch'] }], toolchainDir: '/toolchain' });
    expect(files[1]).toMatchObject({ path: 'sources/gcc-12.2.0/patches/series-1/a.patch', origin: '/elsewhere/a.patch' });
    expect(() => planRecipeFiles({ recipe: gcc, packageName: undefined, source: alternate, patches: [{ dir: '/x', files: ['/x/a\\b.patch'] }], toolchainDir: '/' })).toThrow(/cannot list the file name/);
  });

  it('refuses two files on one path', () => {
    const input = { recipe: gcc, packageName: 'gcc-hermit', source: alternate, patches: [], toolchainDir: '/toolchain' };
    expect(() => planFiles([input, input])).toThrow('gcc: sources/gcc-12.2.0/gcc-12.2.0-dfsg.tar.xz would also hold a file of gcc');
  });
});

describe('manifest and sums', () => {
  const row: ManifestRow = {
    recipe: 'gcc',
    package: 'gcc-hermit',
    version: '12.2.0',
    license: 'GPL-3.0-or-later WITH GCC-exception-3.1',
    kind: 'source',
    path: 'sources/gcc-12.2.0/gcc-12.2.0-dfsg.tar.xz',
    sha256: ALT,
    origin: 'a "quoted", comma',
  };

  it('writes CSV with a header, quoting only the fields that need it', () => {
    expect(manifestCsv([row, { ...row, kind: 'patch', origin: 'patches/x.patch' }])).toBe(
      'recipe,package,version,license,kind,path,sha256,origin\n' +
        `gcc,gcc-hermit,12.2.0,GPL-3.0-or-later WITH GCC-exception-3.1,source,sources/gcc-12.2.0/gcc-12.2.0-dfsg.tar.xz,${ALT},"a ""quoted"", comma"\n` +
        `gcc,gcc-hermit,12.2.0,GPL-3.0-or-later WITH GCC-exception-3.1,patch,sources/gcc-12.2.0/gcc-12.2.0-dfsg.tar.xz,${ALT},patches/x.patch\n`,
    );
  });

  it('writes SHA256SUMS as sha256sum does', () => {
    expect(sha256Sums([row, { path: 'manifest.csv', sha256: RELEASE }])).toBe(`${ALT}  sources/gcc-12.2.0/gcc-12.2.0-dfsg.tar.xz\n${RELEASE}  manifest.csv\n`);
  });
});
