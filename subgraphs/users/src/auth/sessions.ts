/**
 * Sign-in sessions: an access token (short-lived JWT) plus a refresh token that rotates on every
 * use. All tokens issued from one login share a family; presenting a token that was already spent
 * means two parties hold it (a thief and the owner), so the whole family is revoked. A reuse (with
 * the revocation it causes) and a sign-out are audit events; ordinary rotations are not, they are
 * as frequent as access-token lifetimes and say nothing an admin acts on.
 */
import { randomUUID } from "node:crypto";
import { issueAccessToken, unauthenticated, type AccessTokenSettings } from "@agora/platform";
import { type Prisma, type PrismaClient } from "@agora/platform/database";
import type { AuditTrail } from "@agora/platform/audit-events";
import { findRefreshTokenByHash, insertRefreshToken, markRefreshTokenUsed, revokeFamily } from "../data/refresh-token.repository.js";
import { findUserById, type UserRecord } from "../data/user.repository.js";
import { hashRefreshToken, newRefreshToken } from "./refresh-token.js";

export interface AuthSettings {
  accessToken: AccessTokenSettings;
  /** How long a refresh token stays valid if not used. @defaultValue 30 */
  refreshTokenTtlDays: number;
}

/** The value AuthPayload resolvers receive (see src/mappers.json). */
export interface IssuedSession {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: UserRecord;
}

const dayMs = 86_400_000;
export const reuseDetectedMessage = "refresh token reuse detected; all sessions of this login were revoked";

/** Stores a new refresh token (in `familyId`, or a new family for a fresh login) and signs an access token. */
export async function issueSession(
  db: PrismaClient | Prisma.TransactionClient,
  user: UserRecord,
  settings: AuthSettings,
  familyId: string = randomUUID(),
): Promise<IssuedSession> {
  const refreshToken = newRefreshToken();
  await insertRefreshToken(db, {
    userId: user.id,
    familyId,
    tokenHash: hashRefreshToken(refreshToken),
    expiresAt: new Date(Date.now() + settings.refreshTokenTtlDays * dayMs),
  });
  const accessToken = await issueAccessToken({ userId: user.id, role: user.role }, settings.accessToken);
  return { accessToken, refreshToken, expiresIn: settings.accessToken.ttlSeconds, user };
}

class ReuseDetected extends Error {}

/** The presenter may be the thief: the event is anonymous, the account whose sessions ended is the target. */
function reuseDetected(audit: AuditTrail, stored: { userId: string; familyId: string }, revokedSessions: number) {
  audit.record({
    action: "REFRESH_TOKEN_REUSE",
    outcome: "FAILURE",
    actorId: null,
    actorRole: null,
    targetType: "USER",
    targetId: stored.userId,
    details: { familyId: stored.familyId, familyRevoked: true, revokedSessions },
  });
  return unauthenticated(reuseDetectedMessage);
}

/** Spends `token` and returns a new pair in the same family; UNAUTHENTICATED for anything but a live token. */
export async function rotateSession(db: PrismaClient, token: string, settings: AuthSettings, audit: AuditTrail): Promise<IssuedSession> {
  const now = new Date();
  const stored = await findRefreshTokenByHash(db, hashRefreshToken(token));
  if (!stored) throw unauthenticated("The refresh token is not valid.");
  if (stored.revokedAt) throw unauthenticated("The refresh token has been revoked; sign in again.");
  if (stored.usedAt) throw reuseDetected(audit, stored, await revokeFamily(db, stored.familyId, now));
  if (stored.expiresAt <= now) throw unauthenticated("The refresh token has expired; sign in again.");

  try {
    return await db.$transaction(async (tx) => {
      // The guarded update is what decides between concurrent refreshes with the same token: the
      // loser saw an unused token above but matches no row here, which is a reuse like any other.
      if (!(await markRefreshTokenUsed(tx, stored.id, now))) throw new ReuseDetected();
      const user = await findUserById(tx, stored.userId);
      if (!user) throw unauthenticated("The account of this refresh token no longer exists.");
      return issueSession(tx, user, settings, stored.familyId);
    });
  } catch (error) {
    if (!(error instanceof ReuseDetected)) throw error;
    const current = await findRefreshTokenByHash(db, stored.tokenHash);
    if (!current?.usedAt) throw unauthenticated("The refresh token has been revoked; sign in again.");
    // Outside the rolled-back transaction, so the revocation sticks.
    throw reuseDetected(audit, stored, await revokeFamily(db, stored.familyId, new Date()));
  }
}

/** Revokes the login `token` belongs to. Unknown or already revoked tokens change nothing. */
export async function endSession(db: PrismaClient, token: string, audit: AuditTrail): Promise<void> {
  const stored = await findRefreshTokenByHash(db, hashRefreshToken(token));
  if (!stored) return;
  const revokedSessions = await revokeFamily(db, stored.familyId, new Date());
  if (revokedSessions > 0) {
    audit.record({
      action: "SIGN_OUT",
      outcome: "SUCCESS",
      targetType: "USER",
      targetId: stored.userId,
      details: { familyId: stored.familyId, familyRevoked: true, revokedSessions },
    });
  }
}
