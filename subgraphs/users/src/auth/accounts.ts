/**
 * Registration, password login and profile changes. Input is validated before anything is written.
 * Sign-ins (both outcomes) and registrations go to the security audit log. A failed sign-in names
 * the account when the email has one (its id, not the email); for an unknown email it keeps only a
 * keyed hash of it (emailHash), so repeated attempts on one address can be told apart without the
 * log holding addresses of people who have no account here.
 */
import { createHmac } from "node:crypto";
import { conflict, notFound, unauthenticated } from "@agora/platform";
import type { AuditTrail } from "@agora/platform/audit-events";
import { type PrismaClient } from "@agora/platform/database";
import {
  findCredentialsByEmail,
  insertUser,
  isUniqueViolation,
  updateDisplayName,
  updatePasswordHash,
  type UserRecord,
} from "../data/user.repository.js";
import { normalizeEmail, passwordMaxLength, requireDisplayName, requireEmail, requirePassword } from "./input.js";
import { hashPassword, needsRehash, verifyAgainstDummy, verifyPassword } from "./password.js";
import { issueSession, type IssuedSession, type AuthSettings } from "./sessions.js";

export const duplicateEmailMessage = "an account with this email already exists";
export const wrongCredentialsMessage = "email or password is incorrect";

/** HMAC of the normalised email under the JWT secret: stable per address, not reversible by guessing without the key. */
export const auditEmailHash = (email: string, settings: AuthSettings) =>
  createHmac("sha256", settings.accessToken.secret).update(`audit-email:${email}`).digest("hex").slice(0, 32);

export async function register(
  db: PrismaClient,
  input: { email: string; password: string; displayName: string },
  settings: AuthSettings,
  audit: AuditTrail,
): Promise<IssuedSession> {
  const email = requireEmail(input.email);
  const password = requirePassword(input.password);
  const displayName = requireDisplayName(input.displayName);
  const passwordHash = await hashPassword(password);
  try {
    // One transaction: an account never exists without the session it was created with.
    const session = await db.$transaction(async (tx) => {
      const user = await insertUser(tx, { email, displayName, passwordHash });
      return issueSession(tx, user, settings);
    });
    const { user } = session;
    audit.record({ action: "REGISTER", outcome: "SUCCESS", actorId: user.id, actorRole: user.role, targetType: "USER", targetId: user.id });
    return session;
  } catch (error) {
    // The unique index decides, so two concurrent registrations with one email cannot both succeed.
    if (isUniqueViolation(error)) {
      audit.record({
        action: "REGISTER",
        outcome: "FAILURE",
        details: { reason: "EMAIL_TAKEN", emailHash: auditEmailHash(email, settings) },
      });
      throw conflict(duplicateEmailMessage);
    }
    throw error;
  }
}

export async function login(
  db: PrismaClient,
  rawEmail: string,
  password: string,
  settings: AuthSettings,
  audit: AuditTrail,
): Promise<IssuedSession> {
  const email = normalizeEmail(rawEmail);
  const failed = (account: { id: string } | null, reason: string) => {
    audit.record({
      action: "SIGN_IN",
      outcome: "FAILURE",
      // Not signed in: whoever tried is anonymous, the account is the target.
      actorId: null,
      actorRole: null,
      targetType: "USER",
      targetId: account?.id ?? null,
      details: account ? { reason } : { reason, emailHash: auditEmailHash(email, settings) },
    });
    return unauthenticated(wrongCredentialsMessage);
  };
  // No account can have a longer password; refusing early keeps huge inputs away from scrypt.
  if (password.length > passwordMaxLength) throw failed(null, "PASSWORD_TOO_LONG");
  const credentials = await findCredentialsByEmail(db, email);
  // Unknown emails cost one scrypt as well, so response times do not reveal which emails have accounts.
  const valid = credentials ? await verifyPassword(password, credentials.passwordHash) : await verifyAgainstDummy(password);
  if (!credentials) throw failed(null, "UNKNOWN_EMAIL");
  if (!valid) throw failed(credentials, "WRONG_PASSWORD");
  if (needsRehash(credentials.passwordHash)) await updatePasswordHash(db, credentials.id, await hashPassword(password));
  const { passwordHash: _omitted, ...user } = credentials;
  const session = await issueSession(db, user, settings);
  audit.record({ action: "SIGN_IN", outcome: "SUCCESS", actorId: user.id, actorRole: user.role, targetType: "USER", targetId: user.id });
  return session;
}

export async function updateProfile(db: PrismaClient, userId: string, input: { displayName: string }): Promise<UserRecord> {
  const displayName = requireDisplayName(input.displayName);
  const user = await updateDisplayName(db, userId, displayName);
  if (!user) throw notFound("User", userId);
  return user;
}
