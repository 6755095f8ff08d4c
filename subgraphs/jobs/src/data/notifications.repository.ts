/** Notifications are written by their publishers (`@agora/platform/live-events`) into Redis; this reads them back. */
import { readNotification } from "@agora/platform/live-events";
import type { Redis } from "@agora/platform";
import type { NotificationModel } from "./models.js";

export interface NotificationStore {
  redis: Redis;
  /** REDIS_KEY_PREFIX. */
  keyPrefix: string;
}

export async function findNotification(store: NotificationStore, id: string): Promise<NotificationModel | null> {
  return readNotification(store.redis, store.keyPrefix, id);
}
