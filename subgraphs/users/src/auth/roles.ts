/**
 * Role changes: admins only, never their own role (an admin cannot lock the platform out of its
 * last admin by accident, and a stolen admin session cannot quietly make itself permanent under
 * another account either: every change, and every refused attempt, is in the audit log).
 * The new role reaches the user with their next access token (refreshToken reads it), so a
 * demotion takes effect within ACCESS_TOKEN_TTL_SECONDS.
 */
import { forbidden, isAdmin, notFound, requireIdentity, requireUuid, type Identity, type Role } from "@agora/platform";
import type { PrismaClient } from "@agora/platform/database";
import type { AuditTrail } from "@agora/platform/audit-events";
import { updateRole, type UserRecord } from "../data/user.repository.js";

export async function setUserRole(
  db: PrismaClient,
  caller: Identity | null,
  rawUserId: string,
  role: Role,
  audit: AuditTrail,
): Promise<UserRecord> {
  const identity = requireIdentity(caller);
  const denied = (message: string) => {
    audit.record({
      action: "ROLE_CHANGE",
      outcome: "DENIED",
      targetType: "USER",
      targetId: rawUserId.slice(0, 100),
      details: { to: role },
    });
    return forbidden(message);
  };
  // Refused before the input is looked at: a non-admin learns nothing about ids.
  if (!isAdmin(identity)) throw denied("Only admins can change roles.");
  const userId = requireUuid(rawUserId, "userId");
  if (identity.userId === userId) throw denied("Admins cannot change their own role.");
  const changed = await updateRole(db, userId, role);
  if (!changed) throw notFound("User", userId);
  audit.record({
    action: "ROLE_CHANGE",
    outcome: "SUCCESS",
    targetType: "USER",
    targetId: userId,
    details: { from: changed.previousRole, to: role },
  });
  return changed.user;
}
