/**
 * Refresh tokens are 32 random bytes (base64url) handed to the client once; the database keeps only
 * their SHA-256, so a leaked table cannot be replayed. A plain hash is enough here (unlike
 * passwords): the input has 256 bits of entropy, nothing to brute-force.
 */
import { createHash, randomBytes } from "node:crypto";

export function newRefreshToken(): string {
  return randomBytes(32).toString("base64url");
}

export function hashRefreshToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}
