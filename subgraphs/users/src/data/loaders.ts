/**
 * Per-request DataLoaders: every user lookup of one request (me, user(id), _entities, AuthPayload.user)
 * is batched into one findMany per tick. Created per request so no cache outlives a request.
 */
import DataLoader from "dataloader";
import type { SubgraphBaseContext } from "@agora/platform/subgraph";
import { findUsersByIds, type UserRecord } from "./user.repository.js";

export interface Loaders {
  userById: DataLoader<string, UserRecord | null>;
}

export function createLoaders(db: SubgraphBaseContext["db"]): Loaders {
  return {
    // `db.read` is looked up at batch time: a mutation switches it to the primary after the context is built.
    userById: new DataLoader(async (ids) => {
      const rows = await findUsersByIds(db.read, ids);
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
  };
}
