import { lstatSync, mkdirSync, readdirSync, type Dirent } from 'node:fs';
import { link, readdir, readlink, rm, symlink, copyFile } from 'node:fs/promises';
import path from 'node:path';
import { removeIfThere } from '../folders.js';

/**
 * Builds `stage` as the union of `images`, in order (a later image wins on a clash), with hard
 * links so that staging a gcc-sized image costs no copying. The stage is rebuilt from nothing
 * each time so files a need no longer installs disappear. When the images hold nothing there is
 * no stage at all: a folder made and never read would cost a graph of many small recipes a
 * file-system write each.
 *
 * `empty` holds the images known to hold nothing, and gets those found so: a build stages the
 * same needs for every recipe that needs them, and an image is done before any of them is
 * staged (a deep graph of small recipes would otherwise read each image once per recipe after it).
 */
export async function buildStage(stage: string, images: readonly string[], empty: Set<string> = new Set()): Promise<void> {
  await removeIfThere(stage);
  for (const image of images) {
    if (empty.has(image)) continue;
    // Read at once, not through the thread pool: a recipe with many needs, most installing
    // little, would wait a round trip for each.
    let top;
    try {
      top = readdirSync(image, { withFileTypes: true });
    } catch (error) {
      // A recipe that installs nothing (a source-only recipe) has no image.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      empty.add(image);
      continue;
    }
    if (top.length === 0) {
      empty.add(image);
      continue;
    }
    mkdirSync(stage, { recursive: true });
    await mergeEntries(image, top, stage);
  }
}

async function mergeTree(from: string, to: string): Promise<void> {
  await mergeEntries(from, await readdir(from, { withFileTypes: true }), to);
}

async function mergeEntries(from: string, entries: readonly Dirent[], to: string): Promise<void> {
  for (const entry of entries) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) {
      // Looked up at once: in a stage being built most targets are not there yet.
      const existing = lstatSync(target, { throwIfNoEntry: false });
      if (existing && !existing.isDirectory()) await rm(target, { force: true });
      if (!existing?.isDirectory()) mkdirSync(target);
      await mergeTree(source, target);
      continue;
    }
    await removeIfThere(target);
    if (entry.isSymbolicLink()) {
      await symlink(await readlink(source), target);
    } else {
      await link(source, target).catch(async (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EXDEV' && error.code !== 'EPERM') throw error;
        await copyFile(source, target);
      });
    }
  }
}
