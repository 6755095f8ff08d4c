/** The settings a jobs subgraph instance runs with (from config in index.ts; chosen by tests). */
import { bullPrefix } from "@agora/platform/queues";
import type { JobsConfig } from "./config.js";

export interface JobsSettings {
  /** Root directory of uploads and processed files. */
  storageDir: string;
  /** Base of image URLs, e.g. http://127.0.0.1:4000 → http://127.0.0.1:4000/files/images/... */
  publicBaseUrl: string;
  uploadMaxBytes: number;
  imageMaxPixels: number;
  /** BullMQ attempts of new jobs. */
  maxAttempts: number;
  backoffMs: number;
  outboxPollMs: number;
  outboxRedisTimeoutMs: number;
  redisUrl: string;
  /** BullMQ key prefix (bullPrefix(REDIS_KEY_PREFIX)). */
  bullPrefix: string;
  /** Start the outbox relay's poll with the server. @defaultValue true */
  startRelay?: boolean;
}

export function settingsFromConfig(config: JobsConfig): JobsSettings {
  return {
    storageDir: config.STORAGE_DIR,
    publicBaseUrl: config.PUBLIC_BASE_URL,
    uploadMaxBytes: config.UPLOAD_MAX_BYTES,
    imageMaxPixels: config.IMAGE_MAX_PIXELS,
    maxAttempts: config.JOB_MAX_ATTEMPTS,
    backoffMs: config.JOB_BACKOFF_MS,
    outboxPollMs: config.OUTBOX_POLL_MS,
    outboxRedisTimeoutMs: config.OUTBOX_REDIS_TIMEOUT_MS,
    redisUrl: config.REDIS_URL,
    bullPrefix: bullPrefix(config.REDIS_KEY_PREFIX),
  };
}
