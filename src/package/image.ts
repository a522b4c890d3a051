import { exists } from '../exists.js';
import { insidePrefix } from './classify.js';
import { PackageError } from './errors.js';
import { walkTree, type TreeEntry } from './tree.js';

/**
 * A recipe's install image as packaging reads it (none: a metapackage). Refuses what no package
 * may hold: devices, fifos and sockets (walkTree), and paths outside the prefix. The artifact cache
 * asks the same before it keeps an image, so that a restore never hides what packaging refuses.
 */
export async function readImage(recipe: string, imageDir: string, prefix: string): Promise<TreeEntry[]> {
  const image = (await exists(imageDir)) ? await walkTree(imageDir) : [];
  const inside = prefix.replace(/^\/+/, '');
  const outside = image.filter((entry) => !insidePrefix(entry.path, inside)).map((entry) => `/${entry.path}`);
  if (outside.length > 0) {
    throw new PackageError(`the image of ${recipe} has ${outside.length} path(s) outside the prefix ${prefix}; install steps must put everything under the prefix`, outside.slice(0, 10));
  }
  return image;
}
