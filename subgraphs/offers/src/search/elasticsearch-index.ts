/**
 * The offers index behind its alias: creation, bulk writes from the search outbox, and the
 * zero-downtime rebuild (a new versioned index filled from Postgres, the changes that arrived
 * meanwhile applied, the alias swapped atomically, the old index dropped).
 */
import { errors, type estypes } from "@elastic/elasticsearch";
import type { PrismaClient } from "@agora/platform/database";
import { countAllOffers, findOffersBatch, findOffersUpdatedSince, type OfferRow } from "../data/offer.repository.js";
import type { ElasticsearchTarget } from "./elasticsearch-client.js";
import { offerMappings, offerSettings, toDocument, versionedIndexName, versionOf } from "./elasticsearch-mapping.js";
import type { ReindexOptions, ReindexResult } from "./search-backend.js";

const isAlreadyThere = (error: unknown) =>
  error instanceof errors.ResponseError &&
  ["resource_already_exists_exception", "invalid_alias_name_exception"].includes(String(error.body?.error?.type));

/** The indexes the alias points at now (none when it does not exist). */
export async function indexesBehind(target: ElasticsearchTarget): Promise<string[]> {
  if (!(await target.client.indices.existsAlias({ name: target.index }))) return [];
  return Object.keys(await target.client.indices.getAlias({ name: target.index }));
}

/**
 * Makes sure searches and writes have an index: the alias exists, or a plain index of that name
 * (made by an older version; the next reindex moves it behind an alias). Otherwise creates a
 * versioned index with the alias.
 */
export async function ensureIndex(target: ElasticsearchTarget): Promise<void> {
  if (await target.client.indices.exists({ index: target.index })) return;
  try {
    await target.client.indices.create({
      index: versionedIndexName(target.index),
      settings: offerSettings,
      mappings: offerMappings,
      aliases: { [target.index]: { is_write_index: true } },
    });
  } catch (error) {
    // Another instance created it between our check and our create.
    if (!isAlreadyThere(error)) throw error;
  }
}

/** One bulk of offer writes into `index`; version conflicts (a newer version is there) are fine. */
export async function bulkIndex(target: ElasticsearchTarget, index: string, offers: OfferRow[], removedIds: string[] = []): Promise<void> {
  if (offers.length === 0 && removedIds.length === 0) return;
  const operations: estypes.BulkRequest["operations"] = [
    ...offers.flatMap((offer) => [{ index: { _index: index, _id: offer.id, ...versionOf(offer) } }, toDocument(offer)]),
    ...removedIds.map((id) => ({ delete: { _index: index, _id: id } })),
  ];
  const response = await target.client.bulk({ operations });
  if (!response.errors) return;
  for (const item of response.items) {
    const [action, result] = Object.entries(item)[0] ?? [];
    const error = result?.error;
    if (!error || error.type === "version_conflict_engine_exception") continue;
    if (action === "delete" && result.status === 404) continue;
    throw new Error(`Elasticsearch rejected offer ${result._id ?? "?"} (${action}): ${error.reason ?? error.type}`);
  }
}

/** Fills `index` from Postgres in id order (keyset, so memory stays flat); returns how many. */
async function copyAll(
  target: ElasticsearchTarget,
  index: string,
  db: PrismaClient,
  batchSize: number,
  onBatch: (indexed: number) => Promise<void>,
): Promise<number> {
  let indexed = 0;
  let afterId: string | null = null;
  for (;;) {
    const batch = await findOffersBatch(db, afterId, batchSize);
    if (batch.length === 0) break;
    await bulkIndex(target, index, batch);
    indexed += batch.length;
    afterId = batch.at(-1)?.id ?? null;
    await onBatch(indexed);
    if (batch.length < batchSize) break;
  }
  return indexed;
}

/** Offers written since `since`, into `index`; returns how many. */
async function catchUp(target: ElasticsearchTarget, index: string, db: PrismaClient, since: Date, batchSize: number): Promise<number> {
  let applied = 0;
  let afterId: string | null = null;
  for (;;) {
    const batch = await findOffersUpdatedSince(db, since, afterId, batchSize);
    if (batch.length === 0) return applied;
    await bulkIndex(target, index, batch);
    applied += batch.length;
    afterId = batch.at(-1)?.id ?? null;
  }
}

/**
 * Zero-downtime rebuild. Searches and outbox writes keep using the old index through the alias
 * until the swap; offers written during the build are copied again before the swap, and once more
 * after it (writes between catch-up and swap reached only the old index). Versions (updatedAt)
 * keep an older copy from overwriting a newer one. A failure before the swap leaves the old index
 * serving and deletes the half-built one.
 */
export async function rebuildIndex(target: ElasticsearchTarget, db: PrismaClient, options: ReindexOptions = {}): Promise<ReindexResult> {
  const batchSize = options.batchSize ?? 500;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const { client } = target;
  // A little slack: a write committed just before this instant may carry an updatedAt a moment older.
  const startedAt = new Date(Date.now() - 5000);
  const index = versionedIndexName(target.index);
  const total = await countAllOffers(db);
  // No refreshes while filling: faster, and nobody searches this index yet.
  await client.indices.create({ index, settings: { ...offerSettings, refresh_interval: "-1" }, mappings: offerMappings });
  let caughtUp = 0;
  let indexed = 0;
  try {
    indexed = await copyAll(target, index, db, batchSize, async (n) => options.onProgress?.({ indexed: n, total: Math.max(total, n) }));
    caughtUp += await catchUp(target, index, db, startedAt, batchSize);
    await client.indices.putSettings({ index, settings: { refresh_interval: "1s" } });
    await client.indices.refresh({ index });
  } catch (error) {
    await client.indices.delete({ index }, { ignore: [404] }).catch(() => undefined);
    throw error;
  }
  const swapStartedAt = new Date(Date.now() - 5000);
  const old = await indexesBehind(target);
  const legacy = old.length === 0 && (await client.indices.exists({ index: target.index }));
  const actions: estypes.IndicesUpdateAliasesAction[] = [
    ...old.map((name) => ({ remove: { index: name, alias: target.index } })),
    ...(legacy ? [{ remove_index: { index: target.index } }] : []),
    { add: { index, alias: target.index, is_write_index: true } },
  ];
  // One request: searches see the old index or the new one, never neither.
  await client.indices.updateAliases({ actions });
  caughtUp += await catchUp(target, index, db, swapStartedAt, batchSize);
  for (const name of old) await client.indices.delete({ index: name }, { ignore: [404] });
  await options.onProgress?.({ indexed, total: Math.max(total, indexed) });
  return { engine: "elasticsearch", indexed, index, caughtUp };
}
