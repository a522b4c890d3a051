import { toProfile, profileFileSchema, type Profile } from '../../src/recipes/profile.js';
import { recipeSchema, type Recipe } from '../../src/recipes/schema.js';

/** A recipe as the loader would return it, from the fields a test cares about. */
export function recipe(name: string, fields: Record<string, unknown> = {}, patchDir?: string): Recipe {
  const parsed = recipeSchema.parse({ name, version: '1.0', summary: `${name} summary`, license: 'MIT', ...fields });
  return { ...parsed, file: `/toolchain/recipes/${name}.yaml`, patchDir };
}

export function recipesByName(...recipes: Recipe[]): Map<string, Recipe> {
  return new Map(recipes.map((r) => [r.name, r]));
}

export function profile(fields: Record<string, unknown> = {}): Profile {
  return toProfile(profileFileSchema.parse(fields));
}

export const SHA = 'a'.repeat(64);
export const urlSource = (file = 'x-1.0.tar.gz'): Record<string, unknown> => ({ url: `https://example.org/${file}`, sha256: SHA });
