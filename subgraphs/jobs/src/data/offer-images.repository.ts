/** Data access for jobs.offer_images (rows written by the image-processing worker). */
import type { PrismaClient } from "@agora/platform";
import type { OfferImageRow } from "./models.js";

/** The images of many offers in ONE query, oldest first per offer. */
export async function findImagesByOfferIds(db: PrismaClient, offerIds: readonly string[]): Promise<Map<string, OfferImageRow[]>> {
  const rows = await db.offerImage.findMany({
    where: { offerId: { in: [...offerIds] } },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
  });
  const byOffer = new Map<string, OfferImageRow[]>();
  for (const row of rows) {
    const list = byOffer.get(row.offerId!) ?? [];
    list.push(row);
    byOffer.set(row.offerId!, list);
  }
  return byOffer;
}
