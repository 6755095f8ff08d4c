import { forbidden, isAdmin, isUuid, parsePage, requireIdentity, requireUuid, toConnection } from "@agora/platform";
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
};
