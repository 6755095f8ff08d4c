export const defaultDatabaseUrl = "postgresql://postgres@127.0.0.1:5432/agora";

export function databaseUrlFromEnv(): string {
  return process.env.DATABASE_URL ?? defaultDatabaseUrl;
}
