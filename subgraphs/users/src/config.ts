/** Environment of the users subgraph, validated once at start (see README's configuration table). */
import { z } from "zod";
import { accessTokenEnv, accessTokenSettings, commonEnv, loadConfig, port, type Env } from "@agora/platform";
import type { AuthSettings } from "./auth/sessions.js";

export const usersEnv = {
  ...commonEnv,
  ...accessTokenEnv,
  PORT: port(4101),
  HOST: z.string().default("0.0.0.0"),
  /** Days a refresh token stays valid unless rotated or revoked. @defaultValue 30 */
  REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
};

export type UsersConfig = ReturnType<typeof loadUsersConfig>;

export function loadUsersConfig(env: Env = process.env) {
  return loadConfig(usersEnv, env);
}

export function authSettings(config: UsersConfig): AuthSettings {
  return { accessToken: accessTokenSettings(config), refreshTokenTtlDays: config.REFRESH_TOKEN_TTL_DAYS };
}
