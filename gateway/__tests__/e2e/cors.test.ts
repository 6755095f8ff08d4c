import { launchBrowser, servePage, type Browser, type PageServer } from "../support/browser.js";
import { startStack, type Stack } from "../support/stack.js";

let stack: Stack;
let browser: Browser;
let allowedPage: PageServer;
let otherPage: PageServer;
let token: string;

beforeAll(async () => {
  allowedPage = await servePage();
  otherPage = await servePage();
  stack = await startStack({
    label: "cors",
    seed: { users: 4, offers: 2, reviewsPerOffer: 1 },
    gatewayEnv: { CORS_ORIGINS: `https://app.example.com, ${allowedPage.origin}` },
  });
  token = (await stack.login("alice@agora.test")).accessToken;
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await allowedPage?.close();
  await otherPage?.close();
});

/**
 * Loads the page of `origin` in Chromium and, from it, POSTs a query with a bearer token (JSON
 * plus Authorization: the browser sends a preflight first).
 */
async function fetchFromPage(
  origin: string,
): Promise<{ ok: true; status: number; body: any; exposed: string | null } | { ok: false; error: string }> {
  const page = await browser.context.newPage();
  try {
    await page.goto(`${origin}/`);
    return await page.evaluate(
      async ({ url, bearer }) => {
        try {
          const response = await fetch(url, {
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${bearer}` },
            body: JSON.stringify({ query: "{ me { displayName email } }" }),
          });
          return {
            ok: true as const,
            status: response.status,
            body: await response.json(),
            exposed: response.headers.get("access-control-expose-headers"),
          };
        } catch (error) {
          return { ok: false as const, error: String(error) };
        }
      },
      { url: stack.gatewayUrl, bearer: token },
    );
  } finally {
    await page.close();
  }
}

describe("CORS: a browser page on another origin calls the gateway", () => {
  it("gets data from an allowed origin, with a preflight and a bearer token", async () => {
    const result = await fetchFromPage(allowedPage.origin);
    expect(result).toMatchObject({
      ok: true,
      status: 200,
      body: { data: { me: { displayName: expect.any(String), email: "alice@agora.test" } } },
    });
  });

  it("fails in the browser from an origin not in CORS_ORIGINS", async () => {
    const result = await fetchFromPage(otherPage.origin);
    expect(result.ok).toBe(false);
    expect(result).toMatchObject({ error: expect.stringMatching(/Failed to fetch/) });
  });
});

describe("CORS: the headers, as any client sees them", () => {
  const preflight = (origin: string) =>
    fetch(stack.gatewayUrl, {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type, authorization" },
    });

  it("answers an allowed preflight with 204, the echoed origin, methods, headers, max age and Vary: Origin; no credentials", async () => {
    const response = await preflight("https://app.example.com");
    expect(response.status).toBe(204);
    const header = (name: string) => response.headers.get(name);
    expect(header("access-control-allow-origin")).toBe("https://app.example.com");
    expect(header("access-control-allow-methods")).toBe("GET, POST, OPTIONS");
    expect(header("access-control-allow-headers")?.split(", ")).toEqual(
      expect.arrayContaining([
        "content-type",
        "authorization",
        "apollo-require-preflight",
        "x-apollo-operation-name",
        "apollographql-client-name",
      ]),
    );
    expect(Number(header("access-control-max-age"))).toBeGreaterThan(0);
    expect(header("vary")).toMatch(/Origin/);
    expect(header("access-control-allow-credentials")).toBeNull();
  });

  it("refuses a preflight from another origin with 403 and no Access-Control-Allow-Origin", async () => {
    const response = await preflight("https://evil.example");
    expect(response.status).toBe(403);
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
    expect(((await response.json()) as any).errors[0].extensions.code).toBe("FORBIDDEN");
  });

  it("exposes the rate-limit headers to an allowed origin's script", async () => {
    const response = await fetch(stack.gatewayUrl, {
      method: "POST",
      headers: { origin: "https://app.example.com", "content-type": "application/json" },
      body: JSON.stringify({ query: "{ __typename }" }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(response.headers.get("access-control-expose-headers")?.split(", ")).toEqual(
      expect.arrayContaining(["Retry-After", "RateLimit", "RateLimit-Policy"]),
    );
  });

  it("keeps CSRF prevention on for requests a browser sends without a preflight, even from an allowed origin", async () => {
    const simplePost = await fetch(stack.gatewayUrl, {
      method: "POST",
      headers: { origin: "https://app.example.com", "content-type": "text/plain" },
      body: JSON.stringify({ query: "{ __typename }" }),
    });
    expect(simplePost.status).toBe(400);
    const simpleGet = await fetch(`${stack.gatewayUrl}?query=${encodeURIComponent("{ __typename }")}`, {
      headers: { origin: "https://app.example.com" },
    });
    expect(simpleGet.status).toBe(400);
    expect(await simpleGet.text()).toMatch(/CSRF/);
  });
});
