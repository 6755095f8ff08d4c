/** Registration, password login and profile changes. Input is validated before anything is written. */
import { conflict, notFound, unauthenticated } from "@agora/platform";
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

export async function register(
  db: PrismaClient,
  input: { email: string; password: string; displayName: string },
  settings: AuthSettings,
): Promise<IssuedSession> {
  const email = requireEmail(input.email);
  const password = requirePassword(input.password);
  const displayName = requireDisplayName(input.displayName);
  const passwordHash = await hashPassword(password);
  try {
    // One transaction: an account never exists without the session it was created with.
    return await db.$transaction(async (tx) => {
      const user = await insertUser(tx, { email, displayName, passwordHash });
      return issueSession(tx, user, settings);
    });
  } catch (error) {
    // The unique index decides, so two concurrent registrations with one email cannot both succeed.
    if (isUniqueViolation(error)) throw conflict(duplicateEmailMessage);
    throw error;
  }
}

export async function login(db: PrismaClient, rawEmail: string, password: string, settings: AuthSettings): Promise<IssuedSession> {
  // No account can have a longer password; refusing early keeps huge inputs away from scrypt.
  if (password.length > passwordMaxLength) throw unauthenticated(wrongCredentialsMessage);
  const credentials = await findCredentialsByEmail(db, normalizeEmail(rawEmail));
  // Unknown emails cost one scrypt as well, so response times do not reveal which emails have accounts.
  const valid = credentials ? await verifyPassword(password, credentials.passwordHash) : await verifyAgainstDummy(password);
  if (!credentials || !valid) throw unauthenticated(wrongCredentialsMessage);
  if (needsRehash(credentials.passwordHash)) await updatePasswordHash(db, credentials.id, await hashPassword(password));
  const { passwordHash: _omitted, ...user } = credentials;
  return issueSession(db, user, settings);
}

export async function updateProfile(db: PrismaClient, userId: string, input: { displayName: string }): Promise<UserRecord> {
  const displayName = requireDisplayName(input.displayName);
  const user = await updateDisplayName(db, userId, displayName);
  if (!user) throw notFound("User", userId);
  return user;
}
