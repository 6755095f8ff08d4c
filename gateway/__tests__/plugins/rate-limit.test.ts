/**
 * Rate limiting against the real platform and the real Redis, with several gateways sharing it.
 * The stack's gateways trust 127.0.0.1 as a proxy, so each test speaks for client addresses of its
 * own through X-Forwarded-For and no test spends another's budget. Windows are long (an hour), so
 * no point refills while a test runs: the counts below are exact.
 */
import { startStack, type Stack } from "../support/stack.js";

const hour = "3600s";
let stack: Stack;
/** Two gateways on one Redis with 5 anonymous points per client. */
let strict: [string, string];
/** A gateway that trusts no proxy (a client talking to it directly), with a key prefix of its own. */
let direct: string;
let bob: { accessToken: string; userId: string };

beforeAll(async () => {
  stack = await startStack({
    label: "ratelimit",
    seed: { users: 4, offers: 4, reviewsPerOffer: 1 },
    gatewayEnv: {
      RATE_LIMIT_ENABLED: "true",
      TRUSTED_PROXIES: "127.0.0.1,::1",
      RATE_LIMIT_ANONYMOUS: `1000/${hour}`,
      RATE_LIMIT_USER: `50/${hour}`,
      RATE_LIMIT_IP: `100000/${hour}`,
      RATE_LIMIT_LOGIN_ACCOUNT: "10/900s",
      RATE_LIMIT_LOGIN_IP: `12/${hour}`,
      OPERATION_MAX_ROOT_FIELDS: "20",
    },
  });
  const strictEnv = { RATE_LIMIT_ANONYMOUS: `5/${hour}` };
  const [a, b, c] = await Promise.all([
    stack.startGateway(strictEnv),
    stack.startGateway(strictEnv),
    stack.startGateway({ ...strictEnv, TRUSTED_PROXIES: "", REDIS_KEY_PREFIX: `${stack.keyPrefix}direct:` }),
  ]);
  strict = [a.url, b.url];
  direct = c.url;
  bob = await stack.login("bob@agora.test");
});
afterAll(() => stack.stop());

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

async function post(
  url: string,
  query: string,
  headers: Record<string, string> = {},
  variables?: Record<string, unknown>,
): Promise<Answer> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

const from = (ip: string) => ({ "x-forwarded-for": ip });
/** Costs 1 point: one connection object, no list below it. */
const cheap = `{ offers(first: 1) { totalCount } }`;
const statuses = (answers: Answer[]) => answers.map((a) => a.status).sort((x, y) => x - y);
const login = (email: string, password = "wrong-password") =>
  `mutation { login(email: ${JSON.stringify(email)}, password: ${JSON.stringify(password)}) { accessToken } }`;

describe("shared limits", () => {
  it("exactly N of M parallel requests pass a limit of N, across two gateways", async () => {
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => post(strict[i % 2] as string, cheap, from("203.0.113.10"))));
    expect(statuses(answers)).toEqual([...Array<number>(5).fill(200), ...Array<number>(25).fill(429)]);
    for (const answer of answers.filter((a) => a.status === 200)) expect(answer.body.data.offers.totalCount).toBeGreaterThan(0);
    for (const answer of answers.filter((a) => a.status === 429)) {
      expect(answer.body.data).toBeUndefined();
      expect(answer.body.errors[0].extensions).toMatchObject({ code: "RATE_LIMITED", budgets: ["anonymous"], cost: 1 });
    }
    // Both gateways answered some of the refusals: the budget is one, not one per gateway.
    const refusedBy = new Set(answers.map((a, i) => (a.status === 429 ? i % 2 : -1)).filter((g) => g >= 0));
    expect(refusedBy).toEqual(new Set([0, 1]));
  });

  it("sends RateLimit-Policy and RateLimit on normal responses and on refusals, Retry-After on refusals", async () => {
    const [a] = strict;
    const first = await post(a, cheap, from("203.0.113.20"));
    expect(first.status).toBe(200);
    expect(first.headers.get("ratelimit-policy")).toBe('"anonymous";q=5;w=3600, "ip";q=100000;w=3600');
    // One point of five spent; a point refills every 720 s (the IP budget: every 36 ms).
    expect(first.headers.get("ratelimit")).toBe('"anonymous";r=4;t=720, "ip";r=99999;t=1');
    expect(first.headers.get("retry-after")).toBeNull();
    for (let i = 0; i < 4; i++) expect((await post(a, cheap, from("203.0.113.20"))).status).toBe(200);
    const refused = await post(a, cheap, from("203.0.113.20"));
    expect(refused.status).toBe(429);
    expect(refused.headers.get("ratelimit-policy")).toBe('"anonymous";q=5;w=3600, "ip";q=100000;w=3600');
    // The refusal charged nothing; the IP budget may have refilled completely in the meantime (36 ms a point).
    expect(refused.headers.get("ratelimit")).toMatch(/^"anonymous";r=0;t=(359\d|3600), "ip";r=(999\d\d;t=1|100000;t=0)$/);
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(700);
    expect(retryAfter).toBeLessThanOrEqual(720);
    expect(refused.body.errors[0]).toMatchObject({
      message: `Rate limit exceeded (anonymous budget): this operation costs 1 points. Retry after ${retryAfter} s.`,
      extensions: { code: "RATE_LIMITED", retryAfterSeconds: retryAfter },
    });
    // A document refused before it could run still answers with the headers (and costs a point).
    const broken = await post(a, "{ offers(", from("203.0.113.21"));
    expect(broken.status).toBe(400);
    expect(broken.headers.get("ratelimit")).toMatch(/^"anonymous";r=4;/);
  });

  it("charges signed-in users by their role's policy", async () => {
    const answer = await post(stack.gatewayUrl, cheap, { authorization: `Bearer ${bob.accessToken}`, ...from("203.0.113.25") });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("ratelimit-policy")).toBe('"user";q=50;w=3600, "ip";q=100000;w=3600');
    expect(answer.headers.get("ratelimit")).toMatch(/^"user";r=49;t=72, /);
  });
});

describe("forwarding headers", () => {
  it("from a client that is not a trusted proxy buy no fresh budget", async () => {
    const answers: Answer[] = [];
    for (let i = 0; i < 8; i++) {
      answers.push(
        await post(direct, cheap, {
          "x-forwarded-for": `198.51.100.${i}`,
          forwarded: `for=198.51.100.${i}`,
          "x-real-ip": `198.51.100.${i}`,
        }),
      );
    }
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
  });

  it("through a trusted proxy: only the hop the proxy saw counts, whatever the client wrote to its left or in Forwarded", async () => {
    const [a] = strict;
    const answers: Answer[] = [];
    for (let i = 0; i < 7; i++) {
      answers.push(
        await post(a, cheap, { "x-forwarded-for": `10.${i}.0.1, 198.51.100.${i}, 203.0.113.30`, forwarded: `for=198.51.100.${i}` }),
      );
    }
    expect(answers.map((x) => x.status)).toEqual([200, 200, 200, 200, 200, 429, 429]);
  });
});

describe("cost-weighted limits", () => {
  it("an operation spends its estimated cost, so one big query is not one request", async () => {
    const [a] = strict;
    const three = `{ offers(first: 3) { totalCount } }`;
    const first = await post(a, three, from("203.0.113.40"));
    expect(first.status).toBe(200);
    expect(first.headers.get("ratelimit")).toMatch(/^"anonymous";r=2;/);
    const second = await post(a, three, from("203.0.113.40"));
    expect(second.status).toBe(429);
    expect(second.body.errors[0].extensions).toMatchObject({ code: "RATE_LIMITED", cost: 3 });
    // The refusal spent nothing: two cheap operations still fit, a third does not.
    expect((await post(a, cheap, from("203.0.113.40"))).status).toBe(200);
    expect((await post(a, cheap, from("203.0.113.40"))).status).toBe(200);
    expect((await post(a, cheap, from("203.0.113.40"))).status).toBe(429);
  });

  it("each aliased mutation counts", async () => {
    // Two aliased updateProfile calls: 2 × 10 points (a root mutation field weighs 10; `id` is free) of bob's 50.
    const headers = { authorization: `Bearer ${bob.accessToken}`, ...from("203.0.113.41") };
    const before = await post(stack.gatewayUrl, cheap, headers);
    const remaining = Number(/"user";r=(\d+)/.exec(before.headers.get("ratelimit") ?? "")?.[1]);
    const twice = `mutation { a: updateProfile(input: { displayName: "Bob A" }) { id } b: updateProfile(input: { displayName: "Bob B" }) { id } }`;
    const answer = await post(stack.gatewayUrl, twice, headers);
    expect(answer.status).toBe(200);
    expect(answer.headers.get("ratelimit")).toMatch(new RegExp(`^"user";r=${remaining - 20};`));
  });
});

describe("batched requests", () => {
  it("charge every operation of the batch on its own", async () => {
    const batching = await stack.startGateway({ RATE_LIMIT_ANONYMOUS: `5/${hour}`, BATCHED_REQUESTS_ENABLED: "true" });
    const response = await fetch(batching.url, {
      method: "POST",
      headers: { "content-type": "application/json", ...from("203.0.113.60") },
      body: JSON.stringify(Array.from({ length: 8 }, () => ({ query: cheap }))),
    });
    const results = (await response.json()) as any[];
    expect(response.status).toBe(429);
    expect(results.filter((r) => r.data?.offers)).toHaveLength(5);
    expect(results.filter((r) => r.errors?.[0]?.extensions?.code === "RATE_LIMITED")).toHaveLength(3);
  });
});

describe("login brute force", () => {
  it("refuses the 11th wrong login in a row for one account, from any address and however the email is written", async () => {
    const answers: Answer[] = [];
    const withVariables = `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`;
    for (let i = 0; i < 11; i++) {
      answers.push(
        i % 2
          ? await post(stack.gatewayUrl, withVariables, from(`192.0.2.${i + 1}`), { e: " Victim@Agora.TEST", p: `guess-${i}` })
          : await post(stack.gatewayUrl, login("victim@agora.test"), from(`192.0.2.${i + 1}`)),
      );
    }
    for (const answer of answers.slice(0, 10)) {
      expect(answer.status).toBe(200);
      expect(answer.body.errors[0].extensions.code).toBe("UNAUTHENTICATED");
    }
    const refused = answers[10] as Answer;
    expect(refused.status).toBe(429);
    expect(refused.body.errors[0].extensions).toMatchObject({ code: "RATE_LIMITED", budgets: ["login-account"] });
    expect(refused.body.errors[0].message).toMatch(/^Too many login attempts \(login-account budget\)\. Retry after \d+ s\.$/);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(refused.headers.get("ratelimit-policy")).toMatch(/"login-account";q=10;w=900, "login-ip";q=12;w=3600$/);
    // Another account is not locked out by the victim's budget.
    expect((await post(stack.gatewayUrl, login("other@agora.test"), from("192.0.2.99"))).status).toBe(200);
  });

  it("counts every aliased login attempt", async () => {
    const aliased = (n: number) =>
      `mutation { ${Array.from({ length: n }, (_, i) => `a${i}: login(email: "aliased@agora.test", password: "guess-${i}") { accessToken }`).join(" ")} }`;
    const four = await post(stack.gatewayUrl, aliased(4), from("192.0.2.150"));
    expect(four.status).toBe(200);
    // The users subgraph stops at the first failed (non-null) login; all four are charged all the same.
    expect(four.body.errors[0].extensions.code).toBe("UNAUTHENTICATED");
    // 6 attempts left for this account: 7 more in one operation are refused, all of them.
    const statementsBefore = stack.runtimes.users.db.statementCount();
    const seven = await post(stack.gatewayUrl, aliased(7), from("192.0.2.151"));
    expect(seven.status).toBe(429);
    expect(stack.runtimes.users.db.statementCount()).toBe(statementsBefore);
    expect((await post(stack.gatewayUrl, aliased(6), from("192.0.2.152"))).status).toBe(200);
    expect((await post(stack.gatewayUrl, aliased(1), from("192.0.2.153"))).status).toBe(429);
  });

  it("limits attempts per client address across accounts, refreshToken included", async () => {
    const ip = from("192.0.2.200");
    const answers: Answer[] = [];
    for (let i = 0; i < 11; i++) answers.push(await post(stack.gatewayUrl, login(`spray-${i}@agora.test`), ip));
    answers.push(await post(stack.gatewayUrl, `mutation { refreshToken(token: "not-a-token") { accessToken } }`, ip));
    expect(answers.map((a) => a.status)).toEqual(Array<number>(12).fill(200));
    const refused = await post(stack.gatewayUrl, login("spray-12@agora.test"), ip);
    expect(refused.status).toBe(429);
    expect(refused.body.errors[0].extensions.budgets).toEqual(["login-ip"]);
    // The same accounts from another address are still open.
    expect((await post(stack.gatewayUrl, login("spray-12@agora.test"), from("192.0.2.201"))).status).toBe(200);
  });
});

describe("metrics", () => {
  it("counts allowed and limited decisions on /metrics", async () => {
    const metrics = await (await fetch(stack.gatewayUrl.replace(/\/graphql$/, "/metrics"))).text();
    expect(metrics).toMatch(/agora_gateway_rate_limit_decisions_total\{decision="allowed",store="redis",service="gateway"\} [1-9]/);
    expect(metrics).toMatch(/agora_gateway_rate_limit_decisions_total\{decision="limited",store="redis",service="gateway"\} [1-9]/);
  });
});
