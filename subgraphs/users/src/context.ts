import type { SubgraphBaseContext } from "@agora/platform/subgraph";
import type { AuthSettings } from "./auth/sessions.js";
import { createLoaders, type Loaders } from "./data/loaders.js";

export type Context = SubgraphBaseContext & {
  loaders: Loaders;
  auth: AuthSettings;
  /**
   * Users this request has just signed in as (register, login, refreshToken). The caller is still
   * anonymous to the gateway, yet the AuthPayload's user is them, so they may see their own email.
   */
  signedInAs: Set<string>;
};

/** Per request: the base context plus fresh DataLoaders. `db` stays the same object (see loaders.ts). */
export function createContext(base: SubgraphBaseContext, auth: AuthSettings): Context {
  return { ...base, loaders: createLoaders(base.db), auth, signedInAs: new Set() };
}

/** The user the caller acts as, if any: the forwarded identity, or who this request signed in as. */
export function isSelf(ctx: Context, userId: string): boolean {
  return ctx.identity?.userId === userId || ctx.signedInAs.has(userId);
}
