/**
 * The local storage directory shared by the jobs subgraph (uploads in, files out under /files/...)
 * and the workers (image variants, reports). In Docker it is a shared volume. Paths stored in rows
 * and job results are RELATIVE to STORAGE_DIR (e.g. `images/<jobId>/medium.webp`) so the directory
 * can move without rewriting data.
 */
import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";

/** `<repo>/storage` (git-ignored), whichever directory a service is started from. */
export const defaultStorageDir = fileURLToPath(new URL("../../../storage", import.meta.url));

/** Config shape for services that read or write files. */
export const storageEnv = {
  /** Root of uploads, image variants and reports. @defaultValue `<repo>/storage` */
  STORAGE_DIR: z.string().min(1).default(defaultStorageDir),
};

/** Relative paths of everything under STORAGE_DIR, in one place. */
export const storagePaths = {
  uploadsDir: "uploads",
  /** A raw upload waiting for its IMAGE_PROCESSING job. */
  upload: (jobId: string, ext: string) => `uploads/${jobId}.${ext.replace(/^\./, "").toLowerCase()}`,
  imagesDir: (jobId: string) => `images/${jobId}`,
  imageVariant: (jobId: string, file: string) => `images/${jobId}/${file}`,
  report: (jobId: string) => `reports/${jobId}.csv`,
};

/**
 * Absolute path of a relative storage path; refuses anything that would leave the storage root
 * (`..`, absolute paths), so a path taken from a URL or a row cannot reach other files.
 */
export function resolveStoragePath(storageDir: string, relativePath: string): string {
  if (isAbsolute(relativePath)) throw new Error(`Storage paths are relative to STORAGE_DIR; got ${relativePath}`);
  const root = resolve(storageDir);
  const full = resolve(root, normalize(relativePath));
  if (full !== root && !full.startsWith(root + sep)) throw new Error(`Path ${relativePath} is outside STORAGE_DIR`);
  return full;
}

/**
 * Writes a file so readers see either the old or the new content, never a partial one: write a
 * temporary sibling, then rename over the target (atomic on one filesystem).
 */
export async function writeFileAtomic(path: string, data: Buffer | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = join(dirname(path), `.${randomBytes(6).toString("hex")}.tmp`);
  try {
    await writeFile(temporary, data);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
