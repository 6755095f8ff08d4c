/**
 * What counts as a usable secret. The development default below is public (it is in this
 * repository), so anyone holding it can mint an ADMIN access token or a subgraph identity; it exists
 * only so that tests and a service started by hand work without setup. Production refuses it, and
 * anything else an attacker could guess.
 */

/** The development value of every secret; public, so never acceptable in production. */
export const devSecret = "agora-dev-secret-change-me-0000000000";

/** Every configuration variable that holds a signing secret. */
export const secretVariables = ["INTERNAL_SECRET", "JWT_SECRET"] as const;
export type SecretVariable = (typeof secretVariables)[number];

/** HS256 keys should carry 256 bits; 32 characters is the floor that can be checked without knowing the alphabet. */
export const minimumSecretLength = 32;

/**
 * Fewer distinct characters than this means a pattern (`aaaa…`, `0123…` repeated), not a random
 * value: `openssl rand -base64 32` gives about 30.
 */
const minimumDistinctCharacters = 10;

export const secretAdvice = "Generate one with `openssl rand -base64 32`.";

/**
 * The problems with the secrets in a production configuration, one message per problem, each
 * naming its variable. Variables the configuration does not contain are skipped (the gateway and
 * the workers read different subsets).
 */
export function productionSecretProblems(config: Readonly<Record<string, unknown>>): string[] {
  const problems: string[] = [];
  const present: [SecretVariable, string][] = [];
  for (const name of secretVariables) {
    const value = config[name];
    if (typeof value !== "string") continue;
    present.push([name, value]);
    if (value === devSecret) {
      problems.push(`${name} must be set to a secret of your own in production (the development default is public). ${secretAdvice}`);
    } else if (value.length < minimumSecretLength) {
      problems.push(`${name} must be at least ${minimumSecretLength} characters in production. ${secretAdvice}`);
    } else if (new Set(value).size < minimumDistinctCharacters) {
      problems.push(`${name} is too weak: it uses only ${new Set(value).size} distinct characters. ${secretAdvice}`);
    }
  }
  // One key for both would let a client access token pass as a gateway-signed subgraph identity
  // wherever the two JWTs' claims happen to overlap; each secret has exactly one job.
  const [first, second] = present;
  if (first && second && first[1] === second[1] && first[1] !== devSecret) {
    problems.push(`${first[0]} and ${second[0]} must be different secrets in production.`);
  }
  return problems;
}
