/**
 * IMAGE_PROCESSING: the upload `uploads/<jobId>.<ext>` (POST /upload) becomes
 * `images/<jobId>/{original.<ext>,medium.webp,thumbnail.webp}`, auto-oriented and stripped of
 * metadata, and one OfferImage row (unique per job). Paths are deterministic and files written
 * atomically, so a re-run (retry, stalled re-delivery) overwrites instead of duplicating. The upload
 * is deleted only once the row is COMPLETED.
 *
 * Input: `{ offerId?: uuid, upload?: "uploads/<jobId>.<ext>" }` (`path` is accepted for `upload`);
 * without it the upload is looked up by job id.
 */
import { readFile, rm, stat } from "node:fs/promises";
import { saveOfferImage } from "@agora/jobs/offer-images";
import { cacheTags } from "@agora/platform";
import { resolveStoragePath, storagePaths, writeFileAtomic } from "@agora/platform/storage";
import { z } from "zod";
import { renderImage, UnreadableImageError } from "../images/variants.js";
import { unrecoverable, type JobHandler } from "../platform-job.js";
import { parseInput } from "./input.js";

const imageInput = z
  .object({
    offerId: z.string().uuid().nullish(),
    upload: z.string().min(1).optional(),
    path: z.string().min(1).optional(),
  })
  .passthrough();

/** The types POST /upload accepts (by magic bytes), i.e. every extension an upload can have. */
const uploadExtensions = ["jpg", "png", "webp", "gif", "avif"];

async function findUpload(storageDir: string, jobId: string, given: string | undefined): Promise<string | null> {
  const candidates = given ? [given] : uploadExtensions.map((ext) => storagePaths.upload(jobId, ext));
  for (const relative of candidates) {
    let full: string;
    try {
      full = resolveStoragePath(storageDir, relative);
    } catch (error) {
      throw unrecoverable(`Invalid upload path: ${(error as Error).message}`);
    }
    const found = await stat(full).then(
      (s) => s.isFile(),
      () => false,
    );
    if (found) return full;
  }
  return null;
}

export const imageProcessing: JobHandler = async (ctx) => {
  const { STORAGE_DIR: storageDir } = ctx.deps.config;
  const jobId = ctx.row.id;
  const input = parseInput(imageInput, ctx.row.input);
  const uploadPath = await findUpload(storageDir, jobId, input.upload ?? input.path);
  if (!uploadPath) throw unrecoverable(`The upload of job ${jobId} is missing from ${storageDir}/${storagePaths.uploadsDir}`);
  const source = await readFile(uploadPath);
  ctx.progress(10);
  await ctx.throwIfCancelled();

  let rendered;
  try {
    rendered = await renderImage(source);
  } catch (error) {
    if (error instanceof UnreadableImageError) throw unrecoverable(error.message);
    throw error;
  }
  ctx.progress(70);
  await ctx.throwIfCancelled();

  const variants: Record<string, { path: string; width: number; height: number; format: string; bytes: number }> = {};
  for (const variant of rendered.variants) {
    const relative = storagePaths.imageVariant(jobId, variant.file);
    await writeFileAtomic(resolveStoragePath(storageDir, relative), variant.data);
    variants[variant.name] = { path: relative, width: variant.width, height: variant.height, format: variant.format, bytes: variant.bytes };
  }
  ctx.progress(90);

  const original = variants.original!;
  const fields = {
    offerId: input.offerId ?? null,
    uploadedBy: ctx.row.requestedBy,
    width: original.width,
    height: original.height,
    format: original.format,
    bytes: original.bytes,
    dominantColor: rendered.dominantColor,
    blurhash: rendered.blurhash,
    variants,
  };
  const imageId = await saveOfferImage(ctx.deps.prisma, jobId, fields);
  // The offer's `images` change now (the row is committed); cached answers showing it must not outlive that.
  if (fields.offerId) await ctx.deps.cache.invalidate([cacheTags.offer(fields.offerId)]);
  ctx.afterCompleted(() => rm(uploadPath, { force: true }));
  return {
    imageId,
    offerId: fields.offerId,
    width: fields.width,
    height: fields.height,
    format: fields.format,
    bytes: fields.bytes,
    dominantColor: fields.dominantColor,
    blurhash: fields.blurhash,
    variants,
  };
};
