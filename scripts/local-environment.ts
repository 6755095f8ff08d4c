/**
 * Safe defaults for `pnpm start`, applied to its environment before any service starts (the
 * services inherit it). Services started any other way keep their own defaults.
 *
 * - Secrets: the development defaults are public, so random ones are generated once into
 *   `<repo>/.agora/secrets.env` (git-ignored, owner-only) and reused; the environment wins.
 * - Loopback: every listener binds 127.0.0.1 unless GATEWAY_HOST / HOST / WORKER_HEALTH_HOST say
 *   otherwise. Fresh secrets are not enough on a shared network: `pnpm start` seeds demo accounts
 *   whose password is published in the README (one of them an ADMIN) and runs in development mode,
 *   which shows error details. Serving the laptop to the network is a choice to make explicitly
 *   (`GATEWAY_HOST=0.0.0.0 pnpm start`).
 */
import { join } from "node:path";
import { ensureLocalSecrets } from "@agora/platform/local-secrets";

const loopback = "127.0.0.1";
const hostVariables = ["GATEWAY_HOST", "HOST", "WORKER_HEALTH_HOST"] as const;

/** Fills `env` in place and says on the console what it did. */
export function prepareLocalEnvironment(root: string, env: NodeJS.ProcessEnv): void {
  const secrets = ensureLocalSecrets({ dir: env.START_SECRETS_DIR || join(root, ".agora"), env });
  Object.assign(env, secrets.values);
  if (secrets.generated.length) {
    console.log(`Generated ${secrets.generated.join(" and ")} into ${secrets.path} (kept private, reused on every start).`);
  } else {
    const fromFile = Object.keys(secrets.values).filter((name) => !(secrets.fromEnvironment as string[]).includes(name));
    if (fromFile.length) console.log(`Using ${fromFile.join(" and ")} from ${secrets.path}.`);
  }
  for (const name of hostVariables) env[name] ||= loopback;
  if (hostVariables.some((name) => env[name] !== loopback)) {
    console.log(`Listening beyond this machine (${hostVariables.map((name) => `${name}=${env[name]}`).join(", ")}).`);
  }
}
