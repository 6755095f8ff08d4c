/** Starts the users subgraph on a free port over a database of its own (one per test file). */
import { createDatabase, type Database } from "@agora/platform/database";
import { createLogger, identityHeader, signIdentity, type Identity } from "@agora/platform";
import { createAuditRecorder, type AuditRecorder } from "@agora/platform/audit-events";
import { directAuditWriter } from "@agora/platform/audit";
import { type SubgraphRuntime } from "@agora/platform/subgraph";
import { createTestDatabase, graphqlRequest, type GraphQLResponse } from "@agora/platform/testing";
import { hashPassword } from "../src/auth/password.js";
import { createUsersSubgraph, type AuthSettings } from "../src/server.js";

export const internalSecret = "users-test-internal-secret-0123456789abcdef";
export const auth: AuthSettings = {
  accessToken: { secret: "users-test-jwt-secret-0123456789abcdefghij", issuer: "agora-users", audience: "agora-api", ttlSeconds: 900 },
  refreshTokenTtlDays: 30,
};

export interface UsersHarness {
  url: string;
  db: Database;
  runtime: SubgraphRuntime;
  /** Writes audit events straight to audit.events (no Redis here); `flush()` before reading them. */
  audit: AuditRecorder;
  /** Sends an operation, as `as` when given (signed like the gateway does); `headers` are added. */
  request<T = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
    as?: Identity | null,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<T>>;
  /** Inserts a user directly (like the seed), e.g. to get a MODERATOR or ADMIN. */
  createUser(data: {
    email: string;
    displayName?: string;
    role?: Identity["role"];
    password?: string;
  }): Promise<Identity & { email: string }>;
  stop(): Promise<void>;
}

export async function startUsers(label: string): Promise<UsersHarness> {
  const db = createDatabase({ url: await createTestDatabase(label), poolSize: 4 });
  const log = createLogger("users-test", "silent");
  const audit = createAuditRecorder({ redis: null, keyPrefix: "", service: "users", log, fallback: directAuditWriter(db.primary) });
  const runtime: SubgraphRuntime = {
    db,
    log,
    audit,
    internalSecret,
    bodyLimitBytes: 1_048_576,
    exposeErrorDetails: false,
  };
  const server = await createUsersSubgraph(runtime, auth);
  const running = await server.listen(0, "127.0.0.1");
  // Hashing is the slow part of creating users; tests that insert users directly share one hash.
  let sharedHash: Promise<string> | null = null;
  return {
    url: running.url,
    db,
    runtime,
    audit,
    async request(query, variables, as, extra = {}) {
      const headers: Record<string, string> = as ? { [identityHeader]: await signIdentity(as, internalSecret), ...extra } : extra;
      return graphqlRequest(running.url, query, variables, headers);
    },
    async createUser({ email, displayName = email.split("@")[0] ?? "someone", role = "USER", password }) {
      const passwordHash = password ? await hashPassword(password) : await (sharedHash ??= hashPassword("password-of-direct-users"));
      const user = await db.primary.user.create({ data: { email, displayName, role, passwordHash } });
      return { userId: user.id, role: user.role, email };
    },
    async stop() {
      await server.stop();
      await audit.close();
      await db.disconnect();
    },
  };
}

export const authFields = "accessToken refreshToken expiresIn user { id displayName email role createdAt }";

export const registerMutation = `mutation Register($input: RegisterInput!) { register(input: $input) { ${authFields} } }`;
export const loginMutation = `mutation Login($email: String!, $password: String!) { login(email: $email, password: $password) { ${authFields} } }`;
export const refreshMutation = `mutation Refresh($token: String!) { refreshToken(token: $token) { ${authFields} } }`;
export const logoutMutation = `mutation Logout($token: String!) { logout(refreshToken: $token) }`;

export const codes = (response: GraphQLResponse) => (response.errors ?? []).map((e) => e.extensions?.code);
