/**
 * The queue dashboard (bull-board in the jobs service) through the gateway's proxy, the public
 * entry point: admins only on every path, a browser signs in with a cookie, and the outbox and
 * dead-letter view reports exact counts.
 */
import pg from "pg";
import { launchBrowser, type Browser } from "../support/browser.js";
import { startStack, type Stack } from "../support/stack.js";

let stack: Stack;
let sql: pg.Client;
let admin: string;
let alice: string;
let browser: Browser | undefined;

beforeAll(async () => {
  stack = await startStack({ label: "queueboard", seed: { users: 4, offers: 2, reviewsPerOffer: 1 } });
  sql = new pg.Client({ connectionString: stack.databaseUrl });
  await sql.connect();
  [admin, alice] = (await Promise.all([stack.login("admin@agora.test"), stack.login("alice@agora.test")])).map((s) => s.accessToken) as [
    string,
    string,
  ];
});
afterAll(async () => {
  await browser?.close();
  await sql?.end();
  await stack?.stop();
});

const base = () => stack.gatewayUrl.replace(/\/graphql$/, "");
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const get = (path: string, headers: Record<string, string> = {}) => fetch(`${base()}${path}`, { headers, redirect: "manual" });
const platformQueues = ["analytics", "image-processing", "maintenance", "moderation", "search-index"];

async function assetPath(): Promise<string> {
  const html = await (await get("/admin/queues", bearer(admin))).text();
  const src = /src="(static\/js\/[^"]+\.js)"/.exec(html)?.[1];
  if (!src) throw new Error(`no script in the board's page: ${html.slice(0, 300)}`);
  return `/admin/queues/${src}`;
}

function signIn(token: string, headers: Record<string, string> = {}) {
  return fetch(`${base()}/admin/queues/sign-in`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams({ token }).toString(),
    redirect: "manual",
  });
}

it("serves admins the board, its assets and its queue API with the platform's queues and counts", async () => {
  const page = await get("/admin/queues/", { ...bearer(admin), accept: "text/html" });
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('<base href="/admin/queues/"');
  expect((await get(await assetPath(), bearer(admin))).status).toBe(200);
  const api = await get("/admin/queues/api/queues", bearer(admin));
  expect(api.status).toBe(200);
  const { queues } = (await api.json()) as { queues: { name: string; counts: Record<string, number> }[] };
  expect(queues.map((q) => q.name).sort()).toEqual(platformQueues);
  expect(queues.every((q) => typeof q.counts.waiting === "number" && typeof q.counts.failed === "number")).toBe(true);
});

it("reports the exact outbox backlog and dead letters", async () => {
  // Dead letters are already queued (enqueued_at set), so the relay leaves them as they are.
  const userId = (await sql.query("SELECT id FROM users.users LIMIT 1")).rows[0].id as string;
  await sql.query(
    `INSERT INTO jobs.jobs (id, type, status, requested_by, enqueued_at, finished_at, dead_lettered_at, updated_at)
     SELECT gen_random_uuid(), 'NOOP', 'FAILED', $1, now(), now(), now(), now() FROM generate_series(1, 4)`,
    [userId],
  );
  const report = (await (await get("/admin/queues/api/outbox", bearer(admin))).json()) as {
    outbox: { undelivered: number };
    deadLetter: number;
  };
  expect(report).toMatchObject({ outbox: { undelivered: 0 }, deadLetter: 4 });
  const page = await (await get("/admin/queues/outbox", bearer(admin))).text();
  expect(page).toContain('<dd id="dead-letter">4</dd>');
});

it("refuses everyone else on every path: 403 for a signed-in user, 401 signed out; no action is routed", async () => {
  const asset = await assetPath();
  for (const path of ["/admin/queues", asset, "/admin/queues/api/queues", "/admin/queues/api/outbox"]) {
    expect([path, (await get(path, bearer(alice))).status]).toEqual([path, 403]);
    expect([path, (await get(path)).status]).toEqual([path, 401]);
  }
  // A browser that is not signed in is shown the sign-in form, still as a 401.
  const anonymousPage = await get("/admin/queues", { accept: "text/html" });
  expect(anonymousPage.status).toBe(401);
  expect(await anonymousPage.text()).toContain('action="/admin/queues/sign-in"');
  const retry = await fetch(`${base()}/admin/queues/api/queues/maintenance/retry/failed`, { method: "PUT", headers: bearer(admin) });
  expect(retry.status).toBe(404);
});

it("signs a browser in with an HttpOnly SameSite=Strict cookie that is good for the dashboard only", async () => {
  const refused = await signIn("not-a-token");
  expect(refused.status).toBe(401);
  expect(refused.headers.get("set-cookie")).toBeNull();
  expect((await signIn(admin, { origin: "https://evil.example" })).status).toBe(403);

  const signedIn = await signIn(admin);
  expect(signedIn.status).toBe(303);
  expect(signedIn.headers.get("location")).toBe("/admin/queues/");
  const setCookie = signedIn.headers.get("set-cookie") ?? "";
  expect(setCookie).toMatch(/^agora_admin_token=[^;]+; Path=\/admin\/queues; HttpOnly; SameSite=Strict/);
  const cookie = setCookie.split(";")[0]!;

  expect((await get("/admin/queues/api/queues", { cookie })).status).toBe(200);
  // The cookie does not sign anyone in to the API: a cross-site form cannot use it for a mutation.
  const me = await fetch(stack.gatewayUrl, {
    method: "POST",
    headers: { "content-type": "application/json", cookie },
    body: JSON.stringify({ query: "{ me { id } }" }),
  });
  expect(((await me.json()) as { data: { me: unknown } }).data.me).toBeNull();
  // A user's cookie is still a user's: the jobs service decides who is an admin.
  const aliceCookie = ((await signIn(alice)).headers.get("set-cookie") ?? "").split(";")[0]!;
  expect((await get("/admin/queues/api/queues", { cookie: aliceCookie })).status).toBe(403);
  // A cookie whose token no longer verifies ends the session and asks again.
  const stale = await get("/admin/queues", { cookie: "agora_admin_token=expired.or.forged", accept: "text/html" });
  expect(stale.status).toBe(401);
  expect(stale.headers.get("set-cookie")).toMatch(/Max-Age=0/);
});

it("loads in headless Chromium for an admin who signs in, with the queue names rendered", async () => {
  browser = await launchBrowser();
  const page = await browser.context.newPage();
  await page.goto(`${base()}/admin/queues`);
  await page.fill("textarea[name=token]", admin);
  await page.click("button[type=submit]");
  await page.waitForURL(`${base()}/admin/queues/`);
  for (const name of platformQueues) await page.getByText(name, { exact: true }).first().waitFor();
  await page.close();
});
