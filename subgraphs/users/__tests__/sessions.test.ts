import { verifyAccessToken } from "@agora/platform";
import { auth, codes, loginMutation, logoutMutation, refreshMutation, registerMutation, startUsers, type UsersHarness } from "./harness.js";

let users: UsersHarness;
beforeAll(async () => {
  users = await startUsers("sessions");
});
afterAll(async () => {
  await users.stop();
});

let counter = 0;
async function signUp(): Promise<{ userId: string; email: string; refreshToken: string }> {
  const email = `session-${++counter}@example.com`;
  const result = await users.request(registerMutation, { input: { email, password: "session-password", displayName: "Session" } });
  expect(result.errors).toBeUndefined();
  return { userId: result.data!.register.user.id, email, refreshToken: result.data!.register.refreshToken };
}
const refresh = (token: string) => users.request(refreshMutation, { token });

describe("refreshToken rotation", () => {
  it("returns a new pair and spends the presented token", async () => {
    const { userId, refreshToken } = await signUp();
    const first = await refresh(refreshToken);
    expect(first.errors).toBeUndefined();
    const payload = first.data!.refreshToken;
    expect(payload.refreshToken).not.toBe(refreshToken);
    expect(payload.user.id).toBe(userId);
    expect(payload.user.email).toMatch(/^session-\d+@example\.com$/);
    expect(await verifyAccessToken(payload.accessToken, auth.accessToken)).toEqual({ userId, role: "USER" });

    const tokens = await users.db.primary.refreshToken.findMany({ where: { userId }, orderBy: { createdAt: "asc" } });
    expect(tokens).toHaveLength(2);
    expect(tokens[0]!.familyId).toBe(tokens[1]!.familyId);
    expect(tokens[0]!.usedAt).not.toBeNull();
    expect(tokens[1]!.usedAt).toBeNull();

    // The new token works in turn.
    const second = await refresh(payload.refreshToken);
    expect(second.errors).toBeUndefined();
  });

  it("treats reuse of a spent token as theft: UNAUTHENTICATED and the whole family revoked, newest token included", async () => {
    const { userId, refreshToken: original } = await signUp();
    const rotated = (await refresh(original)).data!.refreshToken.refreshToken as string;

    const reuse = await refresh(original);
    expect(reuse.data).toBeNull();
    expect(codes(reuse)).toEqual(["UNAUTHENTICATED"]);
    expect(reuse.errors![0]!.message).toBe("refresh token reuse detected; all sessions of this login were revoked");

    const newest = await refresh(rotated);
    expect(codes(newest)).toEqual(["UNAUTHENTICATED"]);
    const live = await users.db.primary.refreshToken.count({ where: { userId, revokedAt: null } });
    expect(live).toBe(0);
  });

  it("revokes only the family of the reused token, not the user's other logins", async () => {
    const { email, refreshToken: first } = await signUp();
    const other = (await users.request(loginMutation, { email, password: "session-password" })).data!.login.refreshToken as string;
    await refresh(first);
    await refresh(first); // reuse: revokes the first family
    const stillWorks = await refresh(other);
    expect(stillWorks.errors).toBeUndefined();
  });

  it("lets only one of two concurrent refreshes with the same token win", async () => {
    const { userId, refreshToken } = await signUp();
    const results = await Promise.all([refresh(refreshToken), refresh(refreshToken)]);
    const winners = results.filter((r) => !r.errors);
    expect(winners).toHaveLength(1);
    const loser = results.find((r) => r.errors)!;
    expect(codes(loser)).toEqual(["UNAUTHENTICATED"]);
    // The token was presented twice, which is reuse whatever the interleaving: the family is revoked.
    expect(await users.db.primary.refreshToken.count({ where: { userId } })).toBe(2);
    expect(await users.db.primary.refreshToken.count({ where: { userId, revokedAt: null } })).toBe(0);
  });

  it("refuses unknown, expired and revoked tokens with UNAUTHENTICATED", async () => {
    expect(codes(await refresh("definitely-not-a-token"))).toEqual(["UNAUTHENTICATED"]);

    const expired = await signUp();
    await users.db.primary.refreshToken.updateMany({ where: { userId: expired.userId }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const expiredResult = await refresh(expired.refreshToken);
    expect(codes(expiredResult)).toEqual(["UNAUTHENTICATED"]);
    expect(expiredResult.errors![0]!.message).toMatch(/expired/);

    const revoked = await signUp();
    await users.request(logoutMutation, { token: revoked.refreshToken });
    expect(codes(await refresh(revoked.refreshToken))).toEqual(["UNAUTHENTICATED"]);
  });
});

describe("logout", () => {
  it("revokes the login's family so neither the current nor an earlier token can refresh", async () => {
    const { userId, refreshToken } = await signUp();
    const current = (await refresh(refreshToken)).data!.refreshToken.refreshToken as string;
    const result = await users.request(logoutMutation, { token: current });
    expect(result).toMatchObject({ data: { logout: true } });
    expect(result.errors).toBeUndefined();
    expect(codes(await refresh(current))).toEqual(["UNAUTHENTICATED"]);
    expect(await users.db.primary.refreshToken.count({ where: { userId, revokedAt: null } })).toBe(0);
  });

  it("is idempotent and answers true for unknown tokens, changing nothing", async () => {
    const { userId, refreshToken } = await signUp();
    expect((await users.request(logoutMutation, { token: refreshToken })).data).toEqual({ logout: true });
    const revokedAt = (await users.db.primary.refreshToken.findFirstOrThrow({ where: { userId } })).revokedAt;
    expect((await users.request(logoutMutation, { token: refreshToken })).data).toEqual({ logout: true });
    expect((await users.db.primary.refreshToken.findFirstOrThrow({ where: { userId } })).revokedAt).toEqual(revokedAt);

    const before = await users.db.primary.refreshToken.count({ where: { revokedAt: null } });
    expect((await users.request(logoutMutation, { token: "unknown-token" })).data).toEqual({ logout: true });
    expect(await users.db.primary.refreshToken.count({ where: { revokedAt: null } })).toBe(before);
  });
});
