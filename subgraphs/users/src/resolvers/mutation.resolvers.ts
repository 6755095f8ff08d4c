import { cacheTags, requireIdentity } from "@agora/platform";
import { login, register, updateProfile } from "../auth/accounts.js";
import { setUserRole } from "../auth/roles.js";
import { endSession, rotateSession, type IssuedSession } from "../auth/sessions.js";
import type { Context } from "../context.js";
import type { MutationResolvers } from "../generated/graphql.js";

function signedIn(ctx: Context, session: IssuedSession): IssuedSession {
  ctx.signedInAs.add(session.user.id);
  return session;
}

export const Mutation: MutationResolvers = {
  register: async (_parent, { input }, ctx) => signedIn(ctx, await register(ctx.db.write, input, ctx.auth, ctx.audit)),
  login: async (_parent, args, ctx) => signedIn(ctx, await login(ctx.db.write, args.email, args.password, ctx.auth, ctx.audit)),
  refreshToken: async (_parent, args, ctx) => signedIn(ctx, await rotateSession(ctx.db.write, args.token, ctx.auth, ctx.audit)),
  logout: async (_parent, args, ctx) => {
    await endSession(ctx.db.write, args.refreshToken, ctx.audit);
    return true;
  },
  updateProfile: async (_parent, { input }, ctx) => {
    const identity = requireIdentity(ctx.identity);
    const user = await updateProfile(ctx.db.write, identity.userId, input);
    ctx.loaders.userById.clear(user.id).prime(user.id, user);
    await ctx.cache.invalidate([cacheTags.user(user.id)]);
    return user;
  },
  setUserRole: async (_parent, args, ctx) => {
    const user = await setUserRole(ctx.db.write, ctx.identity, args.userId, args.role, ctx.audit);
    ctx.loaders.userById.clear(user.id).prime(user.id, user);
    return user;
  },
};
