/**
 * Notification: read by id for its recipient only. The gateway resolves each `notifications`
 * subscription event through `notification(id)` with the subscriber's identity, so this is where
 * "only your own notifications" is enforced, as `job(id)` does for jobUpdated.
 */
import { requireIdentity, withTimeout } from "@agora/platform";
import { findNotification } from "../data/notifications.repository.js";
import type { Resolvers } from "../generated/graphql.js";
import { publicFileUrl } from "../storage/public-files.js";
import { canSeeJob } from "./job-rules.js";

export const notificationResolvers: Resolvers = {
  Query: {
    async notification(_parent, { id }, ctx) {
      const identity = requireIdentity(ctx.identity);
      const notification = await withTimeout(
        findNotification(ctx.services.notifications, id),
        ctx.services.settings.outboxRedisTimeoutMs,
        "Redis (notifications)",
      );
      return notification && notification.userId === identity.userId ? notification : null;
    },
  },
  Notification: {
    async job(notification, _args, ctx) {
      if (!notification.jobId || !ctx.identity) return null;
      const job = await ctx.loaders.jobById.load(notification.jobId);
      return job && canSeeJob(ctx.identity, job) ? job : null;
    },
    offer: (notification) => (notification.offerId ? { id: notification.offerId } : null),
    review: (notification) => (notification.reviewId ? { id: notification.reviewId } : null),
    downloadUrl: (notification, _args, ctx) =>
      notification.filePath ? publicFileUrl(ctx.services.settings.publicBaseUrl, notification.filePath) : null,
  },
};
