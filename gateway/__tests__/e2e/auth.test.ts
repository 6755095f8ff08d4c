import { SignJWT } from "jose";
import { signIdentity } from "@agora/platform";
import { graphqlRequest } from "@agora/platform/testing";
import { accessTokens, startStack, type Stack } from "../support/stack.js";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ label: "auth" });
});
afterAll(async () => stack.stop());

const register = `mutation($input: RegisterInput!) { register(input: $input) { accessToken refreshToken expiresIn user { id email displayName role } } }`;
const refresh = `mutation($t: String!) { refreshToken(token: $t) { accessToken refreshToken } }`;
const me = `{ me { id email } }`;
const code = (response: { errors?: { extensions?: { code?: string } }[] }) => response.errors?.[0]?.extensions?.code;

async function newUser(email: string) {
  const response = await stack.query(register, { input: { email, password: "correct horse battery", displayName: "Tess Tester" } });
  expect(response.errors).toBeUndefined();
  return response.data.register;
}

describe("auth flows through the gateway", () => {
  it("register, then me with the access token; login with the right and the wrong password", async () => {
    const session = await newUser("tess@example.test");
    expect(session.user).toMatchObject({ email: "tess@example.test", role: "USER" });
    expect(session.expiresIn).toBe(900);
    const whoami = await stack.query(me, {}, session.accessToken);
    expect(whoami.data.me).toEqual({ id: session.user.id, email: "tess@example.test" });

    const ok = await stack.query(`mutation { login(email: "TESS@example.test", password: "correct horse battery") { user { id } } }`);
    expect(ok.data.login.user.id).toBe(session.user.id);
    const wrong = await stack.query(`mutation { login(email: "tess@example.test", password: "wrong password!") { user { id } } }`);
    expect(code(wrong)).toBe("UNAUTHENTICATED");
    expect(wrong.errors?.[0]?.message).toMatch(/incorrect/i);
  });

  it("refuses a duplicate email with CONFLICT", async () => {
    await newUser("dupe@example.test");
    const again = await stack.query(register, { input: { email: "dupe@example.test", password: "another password", displayName: "Dupe" } });
    expect(code(again)).toBe("CONFLICT");
  });

  it("rotates refresh tokens, and reusing a spent one revokes the whole family", async () => {
    const session = await newUser("rotate@example.test");
    const first = await stack.query(refresh, { t: session.refreshToken });
    expect(first.errors).toBeUndefined();
    const second = await stack.query(refresh, { t: first.data.refreshToken.refreshToken });
    expect(second.errors).toBeUndefined();
    const newest = second.data.refreshToken.refreshToken;

    const reuse = await stack.query(refresh, { t: session.refreshToken });
    expect(code(reuse)).toBe("UNAUTHENTICATED");
    expect(reuse.errors?.[0]?.message).toMatch(/reuse/i);
    // The family is revoked: even the newest token no longer works.
    expect(code(await stack.query(refresh, { t: newest }))).toBe("UNAUTHENTICATED");
  });

  it("logout revokes the refresh token", async () => {
    const session = await newUser("logout@example.test");
    const out = await stack.query(`mutation($t: String!) { logout(refreshToken: $t) }`, { t: session.refreshToken });
    expect(out.data.logout).toBe(true);
    expect(code(await stack.query(refresh, { t: session.refreshToken }))).toBe("UNAUTHENTICATED");
  });

  it("refuses expired, tampered and alg:none access tokens with 401 UNAUTHENTICATED", async () => {
    const session = await newUser("tokens@example.test");
    const key = new TextEncoder().encode(accessTokens.secret);
    const expired = await new SignJWT({ role: "USER" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(session.user.id)
      .setIssuer(accessTokens.issuer)
      .setAudience(accessTokens.audience)
      .setIssuedAt(Math.floor(Date.now() / 1000) - 3600)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(key);
    const [header, payload, signature] = session.accessToken.split(".");
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
    const tampered = [header, Buffer.from(JSON.stringify({ ...claims, role: "ADMIN" })).toString("base64url"), signature].join(".");
    const none = [
      Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url"),
      Buffer.from(JSON.stringify({ ...claims, role: "ADMIN" })).toString("base64url"),
      "",
    ].join(".");
    const otherIssuer = await new SignJWT({ role: "ADMIN" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(session.user.id)
      .setIssuer("someone-else")
      .setAudience(accessTokens.audience)
      .setExpirationTime("5m")
      .sign(key);

    for (const [token, message] of [
      [expired, /expired/],
      [tampered, /not valid/],
      [none, /not valid/],
      [otherIssuer, /not valid/],
      ["garbage", /not valid/],
    ] as const) {
      const response = await stack.query(me, {}, token);
      expect(response.status).toBe(401);
      expect(code(response)).toBe("UNAUTHENTICATED");
      expect(response.errors?.[0]?.message).toMatch(message);
    }
  });

  it("cannot forge identity: a client's identity header is dropped by the gateway and refused by a subgraph", async () => {
    const session = await newUser("forger@example.test");
    const forged = await signIdentity({ userId: session.user.id, role: "ADMIN" }, "a-secret-the-attacker-guessed-0123456789");
    const throughGateway = await graphqlRequest(stack.gatewayUrl, me, {}, { "x-agora-identity": forged });
    expect(throughGateway.errors).toBeUndefined();
    expect(throughGateway.data?.me).toBeNull();

    const direct = await graphqlRequest(stack.subgraphUrls.users, `{ users(first: 1) { totalCount } }`, {}, { "x-agora-identity": forged });
    expect(direct.status).toBe(401);
    expect(code(direct)).toBe("UNAUTHENTICATED");
  });
});
