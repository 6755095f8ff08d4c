import { forbidden, isAdmin, isUuid, parsePage, requireIdentity, requireUuid, toConnection } from "@agora/platform";
import { countAuditEvents, findAuditEventPage, type AuditEventFilter } from "@agora/platform/audit";
import { countUsers, findUserPage } from "../data/user.repository.js";
import type { QueryResolvers } from "../generated/graphql.js";

export const Query: QueryResolvers = {
  me: (_parent, _args, ctx) => {
    const userId = ctx.identity?.userId;
    return userId && isUuid(userId) ? ctx.loaders.userById.load(userId.toLowerCase()) : null;
  },
  user: (_parent, args, ctx) => ctx.loaders.userById.load(requireUuid(args.id)),
  users: async (_parent, args, ctx) => {
    const identity = requireIdentity(ctx.identity);
    if (!isAdmin(identity)) throw forbidden("Only admins can list users.");
    const page = parsePage(args);
    const rows = await findUserPage(ctx.db.read, page);
    for (const row of rows) ctx.loaders.userById.prime(row.id, row);
    return toConnection(rows, page, () => countUsers(ctx.db.read));
  },
  auditEvents: async (_parent, args, ctx) => {
    const identity = requireIdentity(ctx.identity);
    if (!isAdmin(identity)) throw forbidden("Only admins can read the audit log.");
    const page = parsePage(args);
    const given = args.filter ?? {};
    const filter: AuditEventFilter = {
      action: given.action ?? null,
      actorId: given.actorId ? requireUuid(given.actorId, "filter.actorId") : null,
      targetType: given.targetType ?? null,
      targetId: given.targetId ?? null,
      outcome: given.outcome ?? null,
      from: given.from ? new Date(given.from) : null,
      to: given.to ? new Date(given.to) : null,
    };
    const rows = await findAuditEventPage(ctx.db.read, filter, page);
    return toConnection(rows, page, () => countAuditEvents(ctx.db.read, filter));
  },
};
