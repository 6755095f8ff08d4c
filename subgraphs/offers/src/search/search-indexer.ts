/**
 * The search indexer: applies the search outbox to the search backend in bulk. It LISTENs for the
 * NOTIFY each offer write sends at commit, so a change is applied within milliseconds, and polls
 * every `pollMs` as well, which replays whatever a crashed indexer (or a lost connection) left
 * behind. Run by the worker processes that consume the search-index queue; with Postgres search
 * there is nothing to apply, and it still drains the outbox and reports lag.
 */
import pg from "pg";
import type { Logger } from "@agora/platform";
import type { PrismaClient } from "@agora/platform/database";
import type { SearchBackend } from "./search-backend.js";
import { drainSearchChanges, searchChangesChannel, searchIndexLag, type SearchIndexLag } from "./search-outbox.js";

export interface SearchIndexerOptions {
  /** Primary database client: claims and deletes outbox rows. */
  db: PrismaClient;
  /** Where to LISTEN (the same database). */
  databaseUrl: string;
  backend: Pick<SearchBackend, "name" | "applyChanges">;
  log: Logger;
  /** Fallback poll interval. @defaultValue 1000 */
  pollMs?: number;
  /** Changes per bulk. @defaultValue 500 */
  batchSize?: number;
  /** Postgres application_name of the LISTEN connection. @defaultValue "agora-search-indexer" */
  applicationName?: string;
}

export interface SearchIndexer {
  /** Changes not applied yet and the age of the oldest. */
  lag(): Promise<SearchIndexLag>;
  /** Changes applied by this indexer so far. */
  applied(): number;
  /** Runs a pass now and resolves when it is done (tests, the reindex catch-up). */
  drainNow(): Promise<void>;
  stop(): Promise<void>;
}

export async function startSearchIndexer(options: SearchIndexerOptions): Promise<SearchIndexer> {
  const { db, backend, log } = options;
  const pollMs = options.pollMs ?? 1000;
  const batchSize = options.batchSize ?? 500;
  const apply = (offers: Parameters<SearchBackend["applyChanges"]>[0], removed: string[]) => backend.applyChanges(offers, removed);
  let stopped = false;
  let applied = 0;
  let current: Promise<void> | null = null;
  let again = false;

  const pass = async () => {
    do {
      again = false;
      try {
        applied += await drainSearchChanges(db, apply, { batchSize });
      } catch (error) {
        // The changes stay in the outbox; the next notification or poll tries again.
        log.warn({ err: error, backend: backend.name }, "search index changes not applied yet; will retry");
        return;
      }
    } while (again && !stopped);
  };
  const run = (): Promise<void> => {
    if (current) {
      again = true;
      return current;
    }
    current = pass().finally(() => {
      current = null;
    });
    return current;
  };

  let listener: pg.Client | null = null;
  const listen = async () => {
    if (listener || stopped) return;
    const client = new pg.Client({
      connectionString: options.databaseUrl,
      application_name: options.applicationName ?? "agora-search-indexer",
    });
    client.on("notification", () => void run());
    client.on("error", (error) => {
      log.warn({ err: error }, "search indexer lost its LISTEN connection; polling until it is back");
      if (listener === client) listener = null;
      client.end().catch(() => undefined);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${searchChangesChannel}`);
      listener = client;
    } catch (error) {
      log.warn({ err: error }, "search indexer cannot LISTEN; polling only");
      await client.end().catch(() => undefined);
    }
  };

  // Fails fast when Postgres is unreachable, and says what a crashed predecessor left behind.
  const backlog = await searchIndexLag(db);
  log.info({ backend: backend.name, ...backlog }, "search indexer started");
  await listen();
  const timer = setInterval(() => {
    void listen();
    void run();
  }, pollMs);
  timer.unref();
  void run();

  return {
    lag: () => searchIndexLag(db),
    applied: () => applied,
    drainNow: run,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await current;
      await listener?.end().catch(() => undefined);
      listener = null;
    },
  };
}
