/**
 * The one owner of users.refresh_tokens (rotation and family revocation, see auth/sessions.ts);
 * the maintenance worker prunes expired tokens through its public entry (`@agora/users/refresh-tokens`).
 */
import type { Db, Prisma, PrismaClient } from "@agora/platform/database";

type Client = PrismaClient | Prisma.TransactionClient;

export type RefreshTokenRecord = Db.RefreshToken;

export async function insertRefreshToken(
  db: Client,
  data: { userId: string; familyId: string; tokenHash: string; expiresAt: Date },
): Promise<void> {
  await db.refreshToken.create({ data, select: { id: true } });
}

export function findRefreshTokenByHash(db: Client, tokenHash: string): Promise<RefreshTokenRecord | null> {
  return db.refreshToken.findUnique({ where: { tokenHash } });
}

/**
 * Marks a live token used. Guarded: only a token that is still unused, unrevoked and unexpired
 * matches, so of two concurrent calls with one token exactly one gets `true`.
 */
export async function markRefreshTokenUsed(db: Client, id: string, now: Date): Promise<boolean> {
  const { count } = await db.refreshToken.updateMany({
    where: { id, usedAt: null, revokedAt: null, expiresAt: { gt: now } },
    data: { usedAt: now },
  });
  return count === 1;
}

/** Revokes every token of a login (tokens revoked earlier keep their first revocation time). */
export async function revokeFamily(db: Client, familyId: string, now: Date): Promise<number> {
  const { count } = await db.refreshToken.updateMany({ where: { familyId, revokedAt: null }, data: { revokedAt: now } });
  return count;
}

/** Deletes tokens that expired before `cutoff`; they can never be accepted again. Returns how many. */
export async function deleteRefreshTokensExpiredBefore(db: Client, cutoff: Date): Promise<number> {
  const { count } = await db.refreshToken.deleteMany({ where: { expiresAt: { lt: cutoff } } });
  return count;
}
