/**
 * IMAGE_PROCESSING through a real worker process: an upload with EXIF (orientation, GPS, camera)
 * becomes three stripped, auto-oriented variants and one OfferImage row; a corrupt or missing
 * upload fails at once.
 */
import { jest } from "@jest/globals";
import { randomUUID } from "node:crypto";
import { access, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { createHarness, waitFor, type Harness } from "./support/harness.js";

jest.setTimeout(90_000);

let h: Harness;
beforeAll(async () => {
  h = await createHarness("images");
  await h.startWorker({ WORKER_QUEUES: "image-processing" });
});
afterAll(async () => {
  await h.close();
});

/** A 1600x1200 JPEG stored sideways (EXIF orientation 6: display rotated 90° clockwise), with GPS. */
async function photoWithExif(): Promise<Buffer> {
  const red = await sharp({ create: { width: 1600, height: 1200, channels: 3, background: { r: 200, g: 30, b: 40 } } })
    .composite([{ input: { create: { width: 400, height: 1200, channels: 3, background: { r: 20, g: 20, b: 220 } } }, left: 0, top: 0 }])
    .jpeg()
    .toBuffer();
  return sharp(red)
    .withExif({
      IFD0: { Make: "AgoraCam", Model: "Test 1", Copyright: "seller" },
      IFD3: { GPSLatitudeRef: "N", GPSLatitude: "48/1 51/1 30/1", GPSLongitudeRef: "E", GPSLongitude: "2/1 21/1 5/1" },
    })
    .withMetadata({ orientation: 6 })
    .jpeg()
    .toBuffer();
}

async function upload(jobId: string, data: Buffer, ext = "jpg"): Promise<string> {
  const relative = `uploads/${jobId}.${ext}`;
  await mkdir(join(h.storageDir, "uploads"), { recursive: true });
  await writeFile(join(h.storageDir, relative), data);
  return relative;
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

it("produces stripped, auto-oriented variants and an OfferImage row", async () => {
  const source = await photoWithExif();
  const sourceMeta = await sharp(source).metadata();
  expect(sourceMeta.exif).toBeDefined();
  expect(sourceMeta.orientation).toBe(6);

  const offerId = randomUUID();
  const row = await h.insertJob({ type: "IMAGE_PROCESSING", input: { offerId } });
  const uploadPath = await upload(row.id, source);
  await h.prisma.job.update({ where: { id: row.id }, data: { input: { offerId, upload: uploadPath } } });
  await h.enqueue(await h.job(row.id));
  const done = await h.waitForStatus(row.id, "COMPLETED");

  const image = await h.prisma.offerImage.findUniqueOrThrow({ where: { jobId: row.id } });
  expect(image).toMatchObject({ offerId, uploadedBy: row.requestedBy, width: 1200, height: 1600, format: "jpeg" });
  expect(image.dominantColor).toMatch(/^#[0-9a-f]{6}$/);
  expect(image.blurhash).toEqual(expect.any(String));
  const variants = image.variants as Record<string, { path: string; width: number; height: number; format: string; bytes: number }>;
  expect(variants.original).toMatchObject({ path: `images/${row.id}/original.jpg`, width: 1200, height: 1600, format: "jpeg" });
  expect(variants.medium).toMatchObject({ path: `images/${row.id}/medium.webp`, width: 768, height: 1024, format: "webp" });
  expect(variants.thumbnail).toMatchObject({ path: `images/${row.id}/thumbnail.webp`, width: 240, height: 320, format: "webp" });
  expect(done.result).toMatchObject({ imageId: image.id, variants });

  for (const variant of Object.values(variants)) {
    const file = await readFile(join(h.storageDir, variant.path));
    expect(file.length).toBe(variant.bytes);
    const meta = await sharp(file).metadata();
    expect({ width: meta.width, height: meta.height, format: meta.format }).toEqual({
      width: variant.width,
      height: variant.height,
      format: variant.format,
    });
    // No EXIF (so no GPS), no orientation flag to misread: the pixels are already upright.
    expect(meta.exif).toBeUndefined();
    expect(meta.xmp).toBeUndefined();
    expect(meta.orientation).toBeUndefined();
  }
  // Upright: the blue band that was on the left of the sideways photo is now at the top.
  const { data } = await sharp(join(h.storageDir, variants.thumbnail!.path)).raw().toBuffer({ resolveWithObject: true });
  expect(data[2]!).toBeGreaterThan(150); // top-left pixel blue
  // The upload is removed once the job is COMPLETED.
  expect(await exists(join(h.storageDir, uploadPath))).toBe(false);
});

it("finds the upload by job id and overwrites its outputs when the job runs again", async () => {
  const png = await sharp({ create: { width: 2000, height: 500, channels: 4, background: "#33cc66" } })
    .png()
    .toBuffer();
  const row = await h.insertJob({ type: "IMAGE_PROCESSING", input: {} });
  await upload(row.id, png, "png");
  await h.enqueue(row);
  await h.waitForStatus(row.id, "COMPLETED");
  const first = await h.prisma.offerImage.findUniqueOrThrow({ where: { jobId: row.id } });
  expect(first).toMatchObject({
    offerId: null,
    width: 2000,
    height: 500,
    format: "png",
    dominantColor: expect.stringMatching(/^#[0-9a-f]{6}$/),
  });
  expect((first.variants as any).thumbnail).toMatchObject({ width: 320, height: 80 });
  expect((first.variants as any).medium).toMatchObject({ width: 1024, height: 256 });

  // Re-run (as after a reset): same paths, same OfferImage row, no duplicates.
  await upload(row.id, png, "png");
  await h.prisma.job.update({ where: { id: row.id }, data: { status: "PENDING" } });
  // The row is COMPLETED a moment before BullMQ moves the job (and releases its lock): wait for that.
  await waitFor("BullMQ to complete the job", async () => (await h.queue("image-processing").getJobState(row.id)) === "completed");
  await (await h.queue("image-processing").getJob(row.id))!.remove();
  await h.enqueue(await h.job(row.id));
  await h.waitForStatus(row.id, "COMPLETED");
  const images = await h.prisma.offerImage.findMany({ where: { jobId: row.id } });
  expect(images).toHaveLength(1);
  expect(images[0]!.id).toBe(first.id);
  expect(images[0]!.variants).toEqual(first.variants);
});

it("fails a corrupt image after one attempt, keeping the upload for inspection", async () => {
  const row = await h.insertJob({ type: "IMAGE_PROCESSING", input: {}, maxAttempts: 3 });
  const good = await sharp({ create: { width: 100, height: 100, channels: 3, background: "#fff" } })
    .jpeg()
    .toBuffer();
  const uploadPath = await upload(row.id, Buffer.concat([good.subarray(0, 40), Buffer.from("definitely not the rest of a jpeg")]));
  await h.enqueue(row);
  const failed = await h.waitForStatus(row.id, "FAILED");
  expect(failed.attempts).toBe(1);
  expect(failed.error).toMatch(/image/i);
  expect(failed.deadLetteredAt).not.toBeNull();
  expect(await h.prisma.offerImage.count({ where: { jobId: row.id } })).toBe(0);
  expect(await exists(join(h.storageDir, uploadPath))).toBe(true);
});

it("fails at once when the upload is missing or the input is invalid", async () => {
  const missing = await h.submit({ type: "IMAGE_PROCESSING", input: {}, maxAttempts: 3 });
  const invalid = await h.submit({ type: "IMAGE_PROCESSING", input: { offerId: "not-a-uuid" }, maxAttempts: 3 });
  const escaping = await h.submit({ type: "IMAGE_PROCESSING", input: { upload: "../../etc/passwd" }, maxAttempts: 3 });
  expect(await h.waitForStatus(missing.id, "FAILED")).toMatchObject({ attempts: 1, error: expect.stringMatching(/upload .* is missing/) });
  expect(await h.waitForStatus(invalid.id, "FAILED")).toMatchObject({
    attempts: 1,
    error: expect.stringMatching(/Invalid job input: offerId/),
  });
  expect(await h.waitForStatus(escaping.id, "FAILED")).toMatchObject({ attempts: 1, error: expect.stringMatching(/outside STORAGE_DIR/) });
});
