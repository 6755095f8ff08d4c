/**
 * Queries and mutations a client sends over the WebSocket are charged by the rate limiter exactly
 * like HTTP ones (only the gateway's own payload queries are not): login attempts over a socket
 * use up the account's login budget.
 */
import { startStack, type Stack } from "../support/stack.js";
import { liveClient, until, type LiveClient } from "./live-client.js";

let stack: Stack;
let live: LiveClient | undefined;
beforeAll(async () => {
  stack = await startStack({
    label: "wsops",
    seed: { users: 4, offers: 2, reviewsPerOffer: 0 },
    gatewayEnv: { RATE_LIMIT_ENABLED: "true", RATE_LIMIT_LOGIN_ACCOUNT: "2/900s" },
  });
});
afterAll(async () => {
  await live?.dispose();
  await stack.stop();
});

test("login attempts over a socket are limited per account like over HTTP", async () => {
  live = liveClient(stack.gatewayUrl);
  const login = `mutation { login(email: "bob@agora.test", password: "not-the-password") { accessToken } }`;
  const codes: string[] = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    const result = live.subscribe(login);
    await until("the login answer", () => result.errors.length > 0 || result.payloads.length > 0);
    codes.push(String((result.errors[0] as { extensions?: { code?: string } } | undefined)?.extensions?.code));
  }
  expect(codes).toEqual(["UNAUTHENTICATED", "UNAUTHENTICATED", "RATE_LIMITED"]);
  // The budget is the account's, shared with HTTP: the right password over HTTP is refused too.
  const overHttp = await stack.query(`mutation { login(email: "bob@agora.test", password: "agora-demo-password") { accessToken } }`);
  expect(overHttp.errors?.[0]?.extensions?.code).toBe("RATE_LIMITED");
});
