import type { AuditEventResolvers } from "../generated/graphql.js";

export const AuditEvent: AuditEventResolvers = {
  // Batched with every other user lookup of the request; a deleted account reads as null.
  actor: (event, _args, ctx) => (event.actorId ? ctx.loaders.userById.load(event.actorId) : null),
};
