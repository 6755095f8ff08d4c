/**
 * Password hashing with scrypt from node:crypto (no native addon). A stored hash carries its own
 * parameters, `scrypt$N$r$p$salt$hash` (salt and hash base64url), so the cost can be raised later
 * without invalidating existing passwords: `needsRehash` tells when a stored hash is weaker than
 * the current setting.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";

export interface ScryptParameters {
  /** CPU/memory cost, a power of two. @defaultValue 2^15 (32 MiB with r = 8) */
  N: number;
  /** Block size. @defaultValue 8 */
  r: number;
  /** Parallelism. @defaultValue 1 */
  p: number;
}

export const currentParameters: Readonly<ScryptParameters> = { N: 2 ** 15, r: 8, p: 1 };

const saltBytes = 16;
const keyBytes = 32;
/** Refuse stored parameters beyond this, so a corrupt row cannot make one login take minutes. */
const maxN = 2 ** 20;

function derive(password: string, salt: Buffer, keyLength: number, { N, r, p }: ScryptParameters): Promise<Buffer> {
  // scrypt needs 128 * N * r bytes; Node's default maxmem (32 MiB) is exactly the current setting.
  const options: ScryptOptions = { N, r, p, maxmem: 256 * N * r };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize("NFKC"), salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

export async function hashPassword(password: string, parameters: ScryptParameters = currentParameters): Promise<string> {
  const salt = randomBytes(saltBytes);
  const key = await derive(password, salt, keyBytes, parameters);
  const { N, r, p } = parameters;
  return ["scrypt", N, r, p, salt.toString("base64url"), key.toString("base64url")].join("$");
}

interface ParsedHash {
  parameters: ScryptParameters;
  salt: Buffer;
  key: Buffer;
}

function parseHash(stored: string): ParsedHash | null {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return null;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const salt = Buffer.from(parts[4] ?? "", "base64url");
  const key = Buffer.from(parts[5] ?? "", "base64url");
  const valid =
    Number.isInteger(N) &&
    N > 1 &&
    N <= maxN &&
    (N & (N - 1)) === 0 &&
    Number.isInteger(r) &&
    r >= 1 &&
    r <= 32 &&
    Number.isInteger(p) &&
    p >= 1 &&
    p <= 16 &&
    salt.length >= 8 &&
    key.length >= 16;
  return valid ? { parameters: { N, r, p }, salt, key } : null;
}

/** True when `password` matches `stored`; false for a wrong password or a hash this module cannot read. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed) return false;
  const candidate = await derive(password, parsed.salt, parsed.key.length, parsed.parameters);
  return timingSafeEqual(candidate, parsed.key);
}

/** True when `stored` was made with other parameters than the current ones (rehash after a successful login). */
export function needsRehash(stored: string, parameters: ScryptParameters = currentParameters): boolean {
  const parsed = parseHash(stored);
  return !parsed || parsed.parameters.N !== parameters.N || parsed.parameters.r !== parameters.r || parsed.parameters.p !== parameters.p;
}

let dummyHash: Promise<string> | null = null;

/**
 * Spends the same time as verifying a real password, for logins with an unknown email: otherwise the
 * response time would tell which emails have accounts.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummyHash ??= hashPassword("agora-dummy-password-never-matches");
  await verifyPassword(password, await dummyHash);
  return false;
}
