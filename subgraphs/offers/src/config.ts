import { z } from "zod";
import { commonEnv, loadConfig, port, type Env } from "@agora/platform";
import { searchEnv } from "./search/search-config.js";

export const offersEnv = {
  ...commonEnv,
  PORT: port(4102),
  HOST: z.string().default("0.0.0.0"),
  ...searchEnv,
};

export type OffersConfig = ReturnType<typeof loadOffersConfig>;

export function loadOffersConfig(env: Env = process.env) {
  return loadConfig(offersEnv, env);
}
