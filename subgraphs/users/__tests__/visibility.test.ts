import { randomUUID } from "node:crypto";
import { identityHeader, signIdentity } from "@agora/platform";
import { graphqlRequest, type GraphQLResponse } from "@agora/platform/testing";
import { codes, internalSecret, startUsers, type UsersHarness } from "./harness.js";

let users: UsersHarness;
let alice: Awaited<ReturnType<UsersHarness["createUser"]>>;
let bob: Awaited<ReturnType<UsersHarness["createUser"]>>;
let moderator: Awaited<ReturnType<UsersHarness["createUser"]>>;
let admin: Awaited<ReturnType<UsersHarness["createUser"]>>;

beforeAll(async () => {
  users = await startUsers("visibility");
  alice = await users.createUser({ email: "alice@example.com", displayName: "Alice" });
  bob = await users.createUser({ email: "bob@example.com", displayName: "Bob" });
  moderator = await users.createUser({ email: "mod@example.com", displayName: "Mod", role: "MODERATOR" });
  admin = await users.createUser({ email: "admin@example.com", displayName: "Admin", role: "ADMIN" });
});
afterAll(async () => {
  await users.stop();
});

const userQuery = "query User($id: ID!) { user(id: $id) { id displayName email role createdAt } }";

describe("user(id) and email visibility", () => {
  it("shows the email to the user themselves", async () => {
    const result = await users.request(userQuery, { id: alice.userId }, alice);
    expect(result.data!.user).toMatchObject({ id: alice.userId, displayName: "Alice", email: "alice@example.com", role: "USER" });
    expect(new Date(result.data!.user.createdAt).toISOString()).toBe(result.data!.user.createdAt);
  });

  it("shows the email to an admin", async () => {
    const result = await users.request(userQuery, { id: alice.userId }, admin);
    expect(result.data!.user.email).toBe("alice@example.com");
  });

  it("hides the email from another user, a moderator and anonymous callers, without an error", async () => {
    for (const caller of [bob, moderator, null]) {
      const result = await users.request(userQuery, { id: alice.userId }, caller);
      expect(result.errors).toBeUndefined();
      expect(result.data!.user).toMatchObject({ id: alice.userId, displayName: "Alice", email: null });
    }
  });

  it("returns null for an id nobody has", async () => {
    const result = await users.request(userQuery, { id: randomUUID() });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ user: null });
  });

  it("refuses an id that is not a UUID with BAD_USER_INPUT", async () => {
    const result = await users.request(userQuery, { id: "42" });
    expect(codes(result)).toEqual(["BAD_USER_INPUT"]);
    expect(result.errors![0]!.message).toContain('"id"');
  });
});

describe("users (admin only)", () => {
  const usersQuery = `query Users($first: Int, $after: String) {
    users(first: $first, after: $after) { totalCount edges { cursor node { id email } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } }
  }`;

  it("is UNAUTHENTICATED for anonymous callers", async () => {
    const result = await users.request(usersQuery, {});
    expect(result.data).toBeNull();
    expect(codes(result)).toEqual(["UNAUTHENTICATED"]);
  });

  it("is FORBIDDEN for users and moderators", async () => {
    for (const caller of [alice, moderator]) {
      const result = await users.request(usersQuery, {}, caller);
      expect(result.data).toBeNull();
      expect(codes(result)).toEqual(["FORBIDDEN"]);
    }
  });

  it("pages through everyone newest first for an admin, with emails and totalCount", async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const result: GraphQLResponse<Record<string, any>> = await users.request(usersQuery, { first: 3, after }, admin);
      expect(result.errors).toBeUndefined();
      const connection = result.data!.users;
      expect(connection.totalCount).toBe(4);
      expect(connection.pageInfo.hasPreviousPage).toBe(after !== null);
      for (const edge of connection.edges) {
        expect(edge.node.email).toMatch(/@example\.com$/);
        seen.push(edge.node.id);
      }
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    const newestFirst = await users.db.primary.user.findMany({ orderBy: [{ createdAt: "desc" }, { id: "desc" }], select: { id: true } });
    expect(seen).toEqual(newestFirst.map((u) => u.id));
    expect(new Set(seen)).toEqual(new Set([alice.userId, bob.userId, moderator.userId, admin.userId]));
  });

  it("refuses first above 100 and a forged cursor with BAD_USER_INPUT", async () => {
    expect(codes(await users.request(usersQuery, { first: 101 }, admin))).toEqual(["BAD_USER_INPUT"]);
    expect(codes(await users.request(usersQuery, { after: "not-a-cursor" }, admin))).toEqual(["BAD_USER_INPUT"]);
  });
});

describe("forwarded identity", () => {
  it("refuses a tampered x-agora-identity header with UNAUTHENTICATED", async () => {
    const genuine = await signIdentity({ userId: alice.userId, role: "USER" }, internalSecret);
    const [header, payload, signature] = genuine.split(".");
    const forgedPayload = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload!, "base64url").toString("utf8")), role: "ADMIN" }),
    ).toString("base64url");
    for (const tampered of [
      `${header}.${forgedPayload}.${signature}`,
      await signIdentity({ userId: alice.userId, role: "ADMIN" }, "a-different-secret-of-at-least-32-chars!!"),
      "garbage",
    ]) {
      const result = await graphqlRequest(users.url, "{ me { id email } }", {}, { [identityHeader]: tampered });
      expect(result.status).toBe(401);
      expect(result.data ?? null).toBeNull();
      expect(codes(result)).toEqual(["UNAUTHENTICATED"]);
    }
  });
});
