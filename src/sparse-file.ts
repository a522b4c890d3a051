import { open } from 'node:fs/promises';

/** A file's bytes where they were read, in a buffer of the file's size (see withSparseFile). */
export interface SparseFile {
  readonly bytes: Buffer;
  readonly size: number;
  /** Reads a span into its place; false (and nothing read) for one read already or not inside the file. */
  read(offset: number, length: number): Promise<boolean>;
}

/**
 * Lets `use` read only the parts of a big file it needs (headers that say where the next part
 * is), each at its own offset in a buffer of the file's size. The buffer costs memory only for
 * the pages read into it: a zero-filled allocation is mapped on first touch, so the unread rest
 * of a file of hundreds of MB reads as zeros and costs nothing.
 */
export async function withSparseFile<T>(file: string, use: (sparse: SparseFile) => Promise<T>): Promise<T> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const bytes = Buffer.alloc(size);
    const done = new Set<string>();
    const read = async (offset: number, length: number): Promise<boolean> => {
      const key = `${offset}+${length}`;
      if (done.has(key) || offset < 0 || length <= 0 || offset + length > size) return false;
      done.add(key);
      await handle.read(bytes, offset, length, offset);
      return true;
    };
    return await use({ bytes, size, read });
  } finally {
    await handle.close();
  }
}
