/**
 * bull-board (its UI bundle, its static assets and its JSON API) for the platform's BullMQ queues,
 * as a plain node:http listener: Hono is the lightest server adapter bull-board has, and
 * `@hono/node-server` turns its app into `(req, res)` without a server of its own.
 *
 * Read-only on purpose: bull-board's actions (retry, clean, promote, pause, add) change BullMQ
 * directly, while `jobs.jobs` in Postgres is the source of truth and `retryJob`/`cancelJob` keep the
 * two consistent. A retry from the board would leave the row FAILED while the job runs again. The
 * board's mutating API routes answer 405 in read-only mode, and the jobs service only routes GET
 * under /admin/queues anyway, so none of them is reachable.
 *
 * Authentication and the admin check happen before this listener is called (admin-queues.route.ts).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { HonoAdapter } from "@bull-board/hono";
import { getRequestListener } from "@hono/node-server";
import { serveStatic } from "@hono/node-server/serve-static";
import { Hono } from "hono";
import type { PlatformQueue } from "../queue/job-queues.js";

export const queueBoardBasePath = "/admin/queues";
/** The platform's own view beside the board: outbox backlog and dead letters from Postgres. */
export const outboxPagePath = `${queueBoardBasePath}/outbox`;

export interface QueueBoardOptions {
  queues: PlatformQueue[];
  /** Outside development a failing board API call says only that it failed (no Redis message). */
  exposeErrorDetails: boolean;
}

export type NodeListener = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export function createQueueBoard(options: QueueBoardOptions): NodeListener {
  const serverAdapter = new HonoAdapter(serveStatic);
  serverAdapter.setBasePath(queueBoardBasePath);
  createBullBoard({
    queues: options.queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode: true })),
    serverAdapter,
    options: {
      uiConfig: {
        boardTitle: "Agora queues",
        // The outbox and dead letters live in Postgres, not in BullMQ: the board links to our page.
        miscLinks: [{ text: "Outbox and dead letters", url: outboxPagePath }],
        hideDocsLink: true,
      },
    },
  });
  if (!options.exposeErrorDetails)
    serverAdapter.setErrorHandler(() => ({ status: 500, body: { error: { key: "ERRORS.INTERNAL_SERVER_ERROR" } } }));
  // Without strict routing /admin/queues and /admin/queues/ are the same page (the UI links to both).
  const app = new Hono({ strict: false });
  app.route(queueBoardBasePath, serverAdapter.registerPlugin());
  // overrideGlobalObjects would swap the process-wide Request/Response for Hono's own classes.
  return getRequestListener(app.fetch, { overrideGlobalObjects: false });
}
