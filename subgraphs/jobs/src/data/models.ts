/** The values resolvers pass around as GraphQL parents (see ../mappers.json). */
import type { Connection } from "@agora/platform";
import type { Db } from "@agora/platform/database";
import type { LiveNotification } from "@agora/platform/live-events";

export type JobRow = Db.Job;
export type OfferImageRow = Db.OfferImage;
export type JobConnectionModel = Connection<JobRow>;

/** An Offer entity reference; `seller` is present when the gateway resolved @requires(seller { id }). */
export interface OfferRef {
  id: string;
  seller?: { id: string } | null;
}

/** One entry of OfferImage.variants, as the image-processing worker writes it. */
export interface ImageVariantModel {
  /** Relative to STORAGE_DIR. */
  path: string;
  width: number;
  height: number;
  format: string;
  bytes: number;
}

export interface OfferDayStatsModel {
  day: string;
  views: number;
  searchResults: number;
  uniqueViewers: number;
}

/** A notification as stored by `@agora/platform/live-events` (Redis, 7 days). */
export type NotificationModel = LiveNotification;

/** A Review entity reference (resolved by the reviews subgraph). */
export interface ReviewRef {
  id: string;
}
