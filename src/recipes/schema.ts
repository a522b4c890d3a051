import { z } from 'zod';

/** Recipe and package names: what Debian allows for package names, lower case only. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9.+-]*$/;

const name = z.string().regex(NAME_PATTERN, 'must match [a-z0-9][a-z0-9.+-]*');
const nonEmpty = z.string().min(1, 'must not be empty');
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits');
const gitCommit = z.string().regex(/^[0-9a-f]{40}$/, 'must be a full 40-hex commit id');
const downloadUrl = z
  .string()
  .regex(/^(https?|file):\/\/\S+$/, 'must be an http(s):// or file:// URL');

/** One command line: an argv array, run without a shell unless it asks for one. */
export const stepSchema = z.array(z.string()).min(1, 'a step needs at least a command');
export type Step = z.infer<typeof stepSchema>;

const gitSchema = z.strictObject({
  url: nonEmpty,
  commit: gitCommit,
  submodules: z.boolean().optional(),
  /**
   * sha256 of `<repository>-<commit>.tar.gz`, an archive of the commit's tree under one top
   * folder, that a premirror may serve instead of the repository (Buildroot's way for sites
   * without the upstream host). Without it a premirror can only serve the repository itself.
   */
  'archive-sha256': sha256.optional(),
});

/**
 * Another artifact of the same release, tried only when `url` and `mirrors` fail: e.g. a Debian
 * package that ships the release tarball. Both the package and the file inside it are verified.
 */
export const alternateSchema = z.strictObject({
  /** A Debian package fetched with `apt-get download PACKAGE=VERSION`. */
  deb: z.strictObject({ package: name, version: nonEmpty, sha256 }),
  /** Path of the release archive inside the package's data (e.g. usr/src/binutils/binutils-2.40.tar.xz). */
  file: nonEmpty,
  /** sha256 of that inner file. */
  sha256,
  /** Extra patch folder applied before the recipe's own patches when this alternate is used. */
  patches: nonEmpty.optional(),
});
export type Alternate = z.infer<typeof alternateSchema>;

export const sourceSchema = z
  .strictObject({
    url: downloadUrl.optional(),
    sha256: sha256.optional(),
    mirrors: z.array(downloadUrl).optional(),
    /** File name in the cache; defaults to the last path segment of `url`. */
    file: nonEmpty.optional(),
    alternates: z.array(alternateSchema).optional(),
    git: gitSchema.optional(),
  })
  .superRefine((source, ctx) => {
    if ((source.url === undefined) === (source.git === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give exactly one of `url` or `git`' });
    }
    if (source.url !== undefined && source.sha256 === undefined) {
      ctx.addIssue({ code: 'custom', path: ['sha256'], message: 'a url source needs its sha256' });
    }
    if (source.git !== undefined) {
      for (const key of ['sha256', 'mirrors', 'file', 'alternates'] as const) {
        if (source[key] !== undefined) {
          ctx.addIssue({ code: 'custom', path: [key], message: 'not used with a git source (the commit is the checksum)' });
        }
      }
    }
  });
export type Source = z.infer<typeof sourceSchema>;

export const packageSchema = z.strictObject({
  name,
  section: nonEmpty.default('devel'),
  priority: nonEmpty.default('optional'),
  /** Other packages this one needs; versions of packages built here are filled in. */
  depends: z.array(nonEmpty).default([]),
  description: z.string().optional(),
});
export type PackageSpec = z.infer<typeof packageSchema>;

/**
 * What doctor checks on the build machine for this recipe beyond its `tools`. None of it changes
 * what is built, so none of it enters a task key.
 */
const hostSchema = z.strictObject({
  /**
   * MiB the recipe takes in the work directory (unpacked source, build tree, install image,
   * staged needs and its .deb) and in the download cache. `measured` is `du -sm` of a real build;
   * an `estimate` is researched or extrapolated, and the recipe's comment says from what.
   * Without it doctor assumes a small package.
   */
  disk: z
    .strictObject({
      'work-mib': z.number().int().positive(),
      'cache-mib': z.number().int().nonnegative(),
      basis: z.enum(['measured', 'estimate']),
    })
    .optional(),
  /** The recipe builds GCC, whose configure needs the GMP, MPFR, MPC and ISL headers. */
  'gcc-libraries': z.boolean().optional(),
});

/**
 * The parse cache validates what it stored with this schema again, so what the schema outputs
 * must be valid input: defaults are fine, transforms are not.
 */
export const recipeSchema = z.strictObject({
  name,
  version: nonEmpty,
  summary: nonEmpty,
  license: nonEmpty,
  homepage: z.string().optional(),
  source: sourceSchema.optional(),
  /** A folder (relative to the toolchain directory) of *.patch files applied in name order. */
  patches: nonEmpty.optional(),
  needs: z.array(name).default([]),
  /**
   * Another recipe whose source, build folder and stage this one goes on with: e.g. the target
   * libraries of a compiler built by `make` in the tree where the compilers alone were built
   * first, once the C library they need exists. It has no source or configure of its own.
   */
  continues: name.optional(),
  tools: z.array(nonEmpty).default([]),
  /**
   * Environment variables of every configure, build and install step (not of patching), with
   * placeholders expanded: flags that must reach compilers a build system starts on its own,
   * such as CMake projects configured during make. It enters those tasks' keys.
   */
  env: z
    .record(z.string(), z.string())
    .superRefine((env, ctx) => {
      for (const name of Object.keys(env)) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
          ctx.addIssue({ code: 'custom', path: [name], message: 'must be a variable name (letters, digits and _, not starting with a digit)' });
        }
      }
    })
    .default({}),
  configure: z.array(stepSchema).default([]),
  build: z.array(stepSchema).default([]),
  install: z.array(stepSchema).default([]),
  /** Globs inside the install image whose ELF OS/ABI byte is set to the profile's. */
  osabi: z.array(nonEmpty).default([]),
  package: packageSchema.optional(),
  host: hostSchema.optional(),
});
export type RecipeFile = z.infer<typeof recipeSchema>;

/** A loaded recipe: the validated file plus where it came from. */
export interface Recipe extends RecipeFile {
  /** Absolute path of the YAML file. */
  readonly file: string;
  /** Absolute path of the patch folder, when the recipe has one. */
  readonly patchDir: string | undefined;
}
