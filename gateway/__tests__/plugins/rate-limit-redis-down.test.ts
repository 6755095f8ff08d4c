/**
 * Redis down: the gateway's rate-limit Redis is a redis-server of this test's own, stopped in the
 * middle (the subgraphs keep the machine's Redis). By default queries fall back to a per-process
 * limiter and mutations, logins included, are refused with 503 before anything runs; a second
 * gateway, pointed at a port where nothing ever listened, is configured the other way round.
 */
import { startStack, type Stack } from "../support/stack.js";
import { eventually, throwawayRedis, unusedPort, type ThrowawayRedis } from "@agora/platform/testing";

let redis: ThrowawayRedis;
let stack: Stack;
let inverted: string;
let bob: { accessToken: string };

beforeAll(async () => {
  redis = await throwawayRedis();
  await redis.start();
  stack = await startStack({
    label: "ratelimitdown",
    seed: { users: 4, offers: 2, reviewsPerOffer: 0 },
    gatewayEnv: {
      RATE_LIMIT_ENABLED: "true",
      REDIS_URL: redis.url,
      TRUSTED_PROXIES: "127.0.0.1",
      RATE_LIMIT_ANONYMOUS: "3/3600s",
      RATE_LIMIT_REDIS_TIMEOUT_MS: "300",
    },
  });
  bob = await stack.login("bob@agora.test");
  inverted = (
    await stack.startGateway({
      REDIS_URL: `redis://127.0.0.1:${await unusedPort()}`,
      RATE_LIMIT_REDIS_DOWN_READS: "closed",
      RATE_LIMIT_REDIS_DOWN_WRITES: "fallback",
    })
  ).url;
});
afterAll(async () => {
  await stack.stop();
  await redis.stop();
});

async function post(url: string, query: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as any };
}
const metrics = async () => (await fetch(stack.gatewayUrl.replace(/\/graphql$/, "/metrics"))).text();
const counter = (text: string, labels: string) =>
  Number(new RegExp(`agora_gateway_rate_limit_decisions_total\\{${labels},service="gateway"\\} (\\d+)`).exec(text)?.[1] ?? 0);
const cheap = `{ offers(first: 1) { totalCount } }`;
const login = `mutation { login(email: "bob@agora.test", password: "wrong-password") { accessToken } }`;

it("decides in Redis while it is up", async () => {
  const answer = await post(stack.gatewayUrl, cheap, { "x-forwarded-for": "203.0.113.1" });
  expect(answer.status).toBe(200);
  expect(answer.headers.get("ratelimit")).toMatch(/^"anonymous";r=2;/);
  expect(counter(await metrics(), 'decision="allowed",store="redis"')).toBeGreaterThan(0);
});

describe("while Redis is down", () => {
  beforeAll(() => redis.stop());

  it("queries fail open on the per-process fallback limiter, which still limits, and it is counted", async () => {
    const before = await metrics();
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await post(stack.gatewayUrl, cheap, { "x-forwarded-for": "203.0.113.2" }));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429]);
    expect(typeof answers[0]?.body.data.offers.totalCount).toBe("number");
    expect(answers[0]?.headers.get("ratelimit")).toMatch(/^"anonymous";r=2;/);
    expect(answers[3]?.body.errors[0].extensions.code).toBe("RATE_LIMITED");
    const after = await metrics();
    expect(counter(after, 'decision="allowed",store="fallback"') - counter(before, 'decision="allowed",store="fallback"')).toBe(3);
    expect(counter(after, 'decision="limited",store="fallback"') - counter(before, 'decision="limited",store="fallback"')).toBe(1);
    expect(after).toMatch(/agora_gateway_rate_limit_redis_failures_total\{service="gateway"\} [1-9]/);
  });

  it("logins and other mutations fail closed with 503 SERVICE_UNAVAILABLE, nothing executed", async () => {
    // The users subgraph's statements only: the jobs subgraph's outbox relay polls on its own.
    const statements = stack.runtimes.users.db.statementCount();
    const refused = await post(stack.gatewayUrl, login, { "x-forwarded-for": "203.0.113.3" });
    expect(refused.status).toBe(503);
    expect(refused.body.data).toBeUndefined();
    expect(refused.body.errors[0].extensions.code).toBe("SERVICE_UNAVAILABLE");
    expect(refused.body.errors[0].message).toMatch(
      /^Rate limiting is unavailable \(Redis at 127\.0\.0\.1:\d+ does not answer\), so mutations are refused/,
    );
    expect(refused.headers.get("ratelimit-policy")).toMatch(/"login-account";q=10;w=900/);
    const update = await post(stack.gatewayUrl, `mutation { updateProfile(input: { displayName: "Bob" }) { id } }`, {
      authorization: `Bearer ${bob.accessToken}`,
    });
    expect(update.status).toBe(503);
    expect(stack.runtimes.users.db.statementCount()).toBe(statements);
    expect(counter(await metrics(), 'decision="unavailable",store="none"')).toBe(2);
  });

  it("both are configurable: reads closed, writes on the fallback", async () => {
    const read = await post(inverted, cheap);
    expect(read.status).toBe(503);
    expect(read.body.errors[0].extensions.code).toBe("SERVICE_UNAVAILABLE");
    const write = await post(inverted, login);
    expect(write.status).toBe(200);
    expect(write.body.errors[0].extensions.code).toBe("UNAUTHENTICATED");
  });
});

it("goes back to Redis by itself when Redis is back", async () => {
  await redis.start();
  await eventually(async () => {
    const before = counter(await metrics(), 'decision="allowed",store="redis"');
    const answer = await post(stack.gatewayUrl, cheap, { "x-forwarded-for": `203.0.113.${Math.floor(Math.random() * 100) + 100}` });
    return answer.status === 200 && counter(await metrics(), 'decision="allowed",store="redis"') === before + 1;
  }, "decisions in Redis again");
});
