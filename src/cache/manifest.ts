import { z } from 'zod';
import { HermitError } from '../errors.js';

/** A relative path with nothing to resolve: no leading `/`, no empty, `.` or `..` part. */
export function isCleanPath(file: string): boolean {
  return file.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

/**
 * Why a listing cannot be an image's, if it cannot. Every path is clean and listed once, and none
 * lies below another (files and links are leaves): unpacking then needs no protection against an
 * entry written through a link, which lets links keep their targets exactly.
 */
function listingProblem(files: readonly ImageFile[]): string | undefined {
  const paths = new Set<string>();
  for (const { path } of files) {
    if (!isCleanPath(path)) return `${path} is not a clean relative path`;
    if (paths.has(path)) return `${path} is listed twice`;
    paths.add(path);
  }
  for (const path of paths) {
    for (let end = path.indexOf('/'); end > 0; end = path.indexOf('/', end + 1)) {
      if (paths.has(path.slice(0, end))) return `${path} lies below ${path.slice(0, end)}, which is not a folder`;
    }
  }
  return undefined;
}

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits');

/** One entry of an install image: a regular file (with size and mode) or a symbolic link. */
export const imageFileSchema = z.union([
  z.strictObject({ path: z.string().min(1), size: z.number().int().nonnegative(), mode: z.number().int().min(0).max(0o777) }),
  z.strictObject({ path: z.string().min(1), link: z.string() }),
]);
export type ImageFile = z.infer<typeof imageFileSchema>;

/**
 * What the cache stores beside each archive (`ac/<task key>`): enough to find the archive
 * (`cas/<sha256>`), verify it, and check that what it unpacked is the image that was stored.
 */
export const manifestSchema = z.strictObject({
  format: z.literal(1),
  /** The key of the task that produced the image. */
  key: sha256,
  recipe: z.string().min(1),
  version: z.string().min(1),
  task: z.enum(['install', 'osabi']),
  archive: z.strictObject({
    sha256,
    size: z.number().int().nonnegative(),
    /** A tar stream compressed with zstd. */
    format: z.literal('tar+zstd'),
  }),
  /** Files and links of the image, sorted by path; folders are implied. */
  files: z.array(imageFileSchema).superRefine((files, ctx) => {
    const problem = listingProblem(files);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  created: z.string(),
});
export type Manifest = z.infer<typeof manifestSchema>;

/** A manifest (or archive) that cannot be what the cache says it is. */
export class CorruptArtifact extends HermitError {}

/** Parses a stored manifest and checks it belongs to `key`. Never trusts what a server sent. */
export function parseManifest(text: string, key: string): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CorruptArtifact(`manifest of ${key.slice(0, 12)} is not JSON`, { cause: error });
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CorruptArtifact(`manifest of ${key.slice(0, 12)} is invalid: ${issue.path.join('.') || '(top)'}: ${issue.message}`);
  }
  if (parsed.data.key !== key) throw new CorruptArtifact(`manifest stored under ${key.slice(0, 12)} is for key ${parsed.data.key.slice(0, 12)}`);
  return parsed.data;
}

export function serializeManifest(manifest: Manifest): string {
  return `${JSON.stringify(manifest, null, 1)}\n`;
}

/** Differences between two image listings, at most `limit` of them, for an error message. */
export function compareFiles(expected: readonly ImageFile[], actual: readonly ImageFile[], limit = 3): string[] {
  const describe = (file: ImageFile): string => ('link' in file ? `-> ${file.link}` : `${file.size} bytes, mode ${file.mode.toString(8)}`);
  const want = new Map(expected.map((f) => [f.path, describe(f)]));
  const have = new Map(actual.map((f) => [f.path, describe(f)]));
  const problems: string[] = [];
  for (const [file, what] of want) {
    const got = have.get(file);
    if (got === undefined) problems.push(`${file} is missing`);
    else if (got !== what) problems.push(`${file}: expected ${what}, found ${got}`);
  }
  for (const file of have.keys()) if (!want.has(file)) problems.push(`${file} is not in the manifest`);
  return problems.slice(0, limit);
}
