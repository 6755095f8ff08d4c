/**
 * The one owner of jobs.offer_images: the jobs subgraph reads offers' images here, and the
 * image-processing worker saves them through this module's public entry (`@agora/jobs/offer-images`).
 */
import type { Prisma, PrismaClient } from "@agora/platform/database";
import type { OfferImageRow } from "./models.js";

/** What one image-processing run produced. */
export interface OfferImageFields {
  offerId: string | null;
  uploadedBy: string;
  width: number;
  height: number;
  format: string;
  bytes: number;
  dominantColor: string | null;
  blurhash: string | null;
  /** `{ original, medium, thumbnail }`, each `{ path, width, height, format, bytes }` (ImageVariantModel). */
  variants: Prisma.InputJsonObject;
}

/**
 * Saves the image of an image-processing job: one row per job (job_id is unique), so a re-run
 * (retry, stalled re-delivery) overwrites its row instead of adding one. Returns the row id.
 */
export async function saveOfferImage(db: PrismaClient, jobId: string, fields: OfferImageFields): Promise<string> {
  const row = await db.offerImage.upsert({ where: { jobId }, create: { jobId, ...fields }, update: fields, select: { id: true } });
  return row.id;
}

/** The images of many offers in ONE query, oldest first per offer. */
export async function findImagesByOfferIds(db: PrismaClient, offerIds: readonly string[]): Promise<Map<string, OfferImageRow[]>> {
  const rows = await db.offerImage.findMany({
    where: { offerId: { in: [...offerIds] } },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
  });
  const byOffer = new Map<string, OfferImageRow[]>();
  for (const row of rows) {
    if (row.offerId === null) continue;
    const list = byOffer.get(row.offerId) ?? [];
    list.push(row);
    byOffer.set(row.offerId, list);
  }
  return byOffer;
}
