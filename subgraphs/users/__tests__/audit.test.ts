/**
 * The security audit log as the users subgraph writes and serves it: one row per failed sign-in,
 * reused refresh token and role change, none holding a password, token or email; who and from
 * where come from the gateway's signed origin (a forged one is ignored); only admins read it.
 * Events go straight to Postgres here (no Redis); the stream and its drain are tested in workers.
 */
import { createHash } from "node:crypto";
import { requestOriginHeader, signRequestOrigin, type Identity } from "@agora/platform";
import { codes, internalSecret, loginMutation, refreshMutation, startUsers, type UsersHarness } from "./harness.js";

let h: UsersHarness;
let admin: Identity;
const password = "correct horse battery staple";

beforeAll(async () => {
  h = await startUsers("audit");
  admin = await h.createUser({ email: "root@audit.test", role: "ADMIN" });
});
afterAll(async () => {
  await h.stop();
});

interface Row {
  id: string;
  action: string;
  outcome: string;
  actor_id: string | null;
  actor_role: string | null;
  client_ip: string | null;
  target_type: string | null;
  target_id: string | null;
  request_id: string | null;
  details: Record<string, unknown>;
}

async function rows(action: string, targetId?: string): Promise<Row[]> {
  await h.audit.flush();
  return h.db.primary.$queryRawUnsafe<Row[]>(
    `SELECT id::text, action, outcome, actor_id::text, actor_role, client_ip, target_type, target_id, request_id, details
       FROM audit.events WHERE action = $1 AND ($2::text IS NULL OR target_id = $2) ORDER BY occurred_at`,
    action,
    targetId ?? null,
  );
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** Fails naming the secret when any of them appears anywhere in the rows. */
function expectNoSecrets(found: Row[], secrets: string[]) {
  const text = JSON.stringify(found);
  for (const secret of secrets) expect(text.includes(secret) ? `row holds ${secret}` : "clean").toBe("clean");
}

const setRole = `mutation SetRole($userId: ID!, $role: Role!) { setUserRole(userId: $userId, role: $role) { id role } }`;
const auditQuery = `query Audit($filter: AuditEventFilter, $first: Int, $after: String) {
  auditEvents(filter: $filter, first: $first, after: $after) {
    totalCount
    edges { cursor node { action outcome actorId actor { id } targetType targetId clientIp requestId details } }
    pageInfo { hasNextPage endCursor }
  }
}`;

it("a failed sign-in leaves exactly one row, naming the account but holding neither password nor email", async () => {
  const alice = await h.createUser({ email: "alice@audit.test", password });
  const origin = signRequestOrigin({ clientIp: "203.0.113.7", requestId: "req-failed-login" }, internalSecret);
  const response = await h.request(loginMutation, { email: "Alice@Audit.test", password: "wrong-password-123" }, null, {
    [requestOriginHeader]: origin,
  });
  expect(codes(response)).toEqual(["UNAUTHENTICATED"]);

  const found = await rows("SIGN_IN", alice.userId);
  expect(found).toEqual([
    expect.objectContaining({
      outcome: "FAILURE",
      actor_id: null,
      target_type: "USER",
      target_id: alice.userId,
      client_ip: "203.0.113.7",
      request_id: "req-failed-login",
      details: { reason: "WRONG_PASSWORD" },
    }),
  ]);
  expectNoSecrets(found, ["wrong-password-123", password, "alice@audit.test", "Alice@Audit.test"]);
});

it("a failed sign-in for an unknown email keeps a keyed hash of it, never the address", async () => {
  await h.request(loginMutation, { email: "nobody@audit.test", password: "whatever-it-is" });
  await h.request(loginMutation, { email: "NOBODY@audit.test ", password: "something-else" });
  const found = (await rows("SIGN_IN")).filter((row) => row.details.reason === "UNKNOWN_EMAIL");
  expect(found).toHaveLength(2);
  // One address, one hash: repeated attempts on it can be counted.
  expect(found[0]!.details.emailHash).toMatch(/^[0-9a-f]{32}$/);
  expect(found[1]!.details.emailHash).toBe(found[0]!.details.emailHash);
  expect(found[0]!.target_id).toBeNull();
  expectNoSecrets(found, ["nobody@audit.test", "whatever-it-is", "something-else"]);
});

it("a reused refresh token leaves exactly one row (reuse and family revocation), without any token", async () => {
  const bob = await h.createUser({ email: "bob@audit.test", password });
  const signedIn = await h.request(loginMutation, { email: "bob@audit.test", password });
  const first = signedIn.data!.login.refreshToken as string;
  const rotated = await h.request(refreshMutation, { token: first });
  const second = rotated.data!.refreshToken.refreshToken as string;

  expect(codes(await h.request(refreshMutation, { token: first }))).toEqual(["UNAUTHENTICATED"]);
  // The family is revoked now: presenting either token again is refused but is no second reuse.
  expect(codes(await h.request(refreshMutation, { token: second }))).toEqual(["UNAUTHENTICATED"]);
  expect(codes(await h.request(refreshMutation, { token: first }))).toEqual(["UNAUTHENTICATED"]);

  const found = await rows("REFRESH_TOKEN_REUSE", bob.userId);
  expect(found).toEqual([
    expect.objectContaining({
      outcome: "FAILURE",
      actor_id: null,
      target_type: "USER",
      target_id: bob.userId,
      details: expect.objectContaining({ familyRevoked: true, revokedSessions: 2 }),
    }),
  ]);
  const accessToken = signedIn.data!.login.accessToken as string;
  expectNoSecrets(found, [first, second, sha256(first), sha256(second), accessToken, password]);
  // The successful sign-in before it is there too, as bob.
  expect(await rows("SIGN_IN", bob.userId)).toEqual([expect.objectContaining({ outcome: "SUCCESS", actor_id: bob.userId })]);
});

it("a role change leaves exactly one row with the old and the new role; non-admins are refused and that is recorded", async () => {
  const carol = await h.createUser({ email: "carol@audit.test" });
  const changed = await h.request(setRole, { userId: carol.userId, role: "MODERATOR" }, admin);
  expect(changed.errors).toBeUndefined();
  expect(changed.data!.setUserRole).toEqual({ id: carol.userId, role: "MODERATOR" });

  const successes = (await rows("ROLE_CHANGE", carol.userId)).filter((row) => row.outcome === "SUCCESS");
  expect(successes).toEqual([
    expect.objectContaining({
      actor_id: admin.userId,
      actor_role: "ADMIN",
      target_type: "USER",
      target_id: carol.userId,
      details: { from: "USER", to: "MODERATOR" },
    }),
  ]);

  const dave = await h.createUser({ email: "dave@audit.test" });
  expect(codes(await h.request(setRole, { userId: dave.userId, role: "ADMIN" }, dave))).toEqual(["FORBIDDEN"]);
  expect(codes(await h.request(setRole, { userId: dave.userId, role: "ADMIN" }))).toEqual(["UNAUTHENTICATED"]);
  expect(codes(await h.request(setRole, { userId: admin.userId, role: "USER" }, admin))).toEqual(["FORBIDDEN"]);
  expect((await h.db.primary.user.findUniqueOrThrow({ where: { id: dave.userId } })).role).toBe("USER");
  expect(await rows("ROLE_CHANGE", dave.userId)).toEqual([
    expect.objectContaining({ outcome: "DENIED", actor_id: dave.userId, details: { to: "ADMIN" } }),
  ]);
});

it("believes only a correctly signed origin; otherwise the socket's peer is where the request came from", async () => {
  const erin = await h.createUser({ email: "erin@audit.test" });
  const forged = signRequestOrigin({ clientIp: "198.51.100.99", requestId: "forged" }, "not-the-internal-secret-0123456789abcdef");
  await h.request(setRole, { userId: erin.userId, role: "MODERATOR" }, admin, { [requestOriginHeader]: forged, "x-request-id": "own-id" });
  const [row] = await rows("ROLE_CHANGE", erin.userId);
  expect(row).toMatchObject({ client_ip: "127.0.0.1", request_id: "own-id" });
});

describe("auditEvents", () => {
  it("is for admins only: FORBIDDEN for others, UNAUTHENTICATED for anonymous callers", async () => {
    const frank = await h.createUser({ email: "frank@audit.test" });
    const moderator = await h.createUser({ email: "mod@audit.test", role: "MODERATOR" });
    const asUser = await h.request(auditQuery, {}, frank);
    expect(codes(asUser)).toEqual(["FORBIDDEN"]);
    expect(asUser.data).toBeNull();
    expect(codes(await h.request(auditQuery, {}, moderator))).toEqual(["FORBIDDEN"]);
    expect(codes(await h.request(auditQuery, {}))).toEqual(["UNAUTHENTICATED"]);
  });

  it("filters and pages newest first, resolving the actor", async () => {
    await h.audit.flush();
    const filter = { action: "ROLE_CHANGE", outcome: "SUCCESS" };
    const firstPage = await h.request(auditQuery, { filter, first: 1 }, admin);
    expect(firstPage.errors).toBeUndefined();
    const connection = firstPage.data!.auditEvents;
    expect(connection.totalCount).toBe(2);
    expect(connection.edges).toHaveLength(1);
    expect(connection.edges[0].node).toMatchObject({ action: "ROLE_CHANGE", outcome: "SUCCESS", actor: { id: admin.userId } });
    expect(connection.pageInfo.hasNextPage).toBe(true);
    const next = await h.request(auditQuery, { filter, first: 1, after: connection.pageInfo.endCursor }, admin);
    const older = next.data!.auditEvents;
    expect(older.edges).toHaveLength(1);
    expect(older.pageInfo.hasNextPage).toBe(false);
    // Newest first: erin's change came after carol's.
    expect(older.edges[0].node.details).toEqual({ from: "USER", to: "MODERATOR" });
    expect(connection.edges[0].node.targetId).not.toBe(older.edges[0].node.targetId);

    const nothing = await h.request(auditQuery, { filter: { ...filter, from: new Date(Date.now() + 60_000).toISOString() } }, admin);
    expect(nothing.data!.auditEvents).toMatchObject({ totalCount: 0, edges: [] });
    expect(codes(await h.request(auditQuery, { first: 101 }, admin))).toEqual(["BAD_USER_INPUT"]);
  });
});
