import { eventually, startHarness, user, type Harness, type TestUser } from "./support.js";

let h: Harness;
let admin: TestUser;
let alice: TestUser;

beforeAll(async () => {
  h = await startHarness();
  [admin, alice] = await Promise.all([user("ADMIN"), user()]);
});
afterAll(async () => {
  await h.close();
});

const get = (path: string, as?: TestUser, headers: Record<string, string> = {}) =>
  fetch(`${h.url}${path}`, { headers: { ...(as?.headers ?? {}), ...headers } });

const platformQueues = ["analytics", "image-processing", "maintenance", "moderation", "search-index"];

/** The board's page names its script bundle; the first one stands for every static asset. */
async function firstAsset(): Promise<string> {
  const html = await (await get("/admin/queues", admin)).text();
  const src = /src="(static\/js\/[^"]+\.js)"/.exec(html)?.[1];
  if (!src) throw new Error(`no script in the board's page: ${html.slice(0, 300)}`);
  return `/admin/queues/${src}`;
}

it("serves admins bull-board: its page, its assets and its queue API with the platform's queues and counts", async () => {
  const created = await h.gql(
    `mutation { createJobs(input: [{ type: NOOP }, { type: ANALYTICS_REPORT, input: { from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z" } }]) { id } }`,
    {},
    alice,
  );
  expect(created.errors).toBeUndefined();
  await eventually(async () => (await h.db.primary.job.count({ where: { enqueuedAt: null } })) === 0, "the jobs to be queued");

  for (const path of ["/admin/queues", "/admin/queues/", "/admin/queues/queue/analytics"]) {
    const page = await get(path, admin, { accept: "text/html" });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await page.text();
    // The base path the UI loads its assets and API from, whichever URL it was opened at.
    expect(html).toContain('<base href="/admin/queues/"');
    expect(html).toContain("Agora queues");
  }
  const asset = await get(await firstAsset(), admin);
  expect(asset.status).toBe(200);
  expect(asset.headers.get("content-type")).toMatch(/javascript/);

  const api = await get("/admin/queues/api/queues", admin);
  expect(api.status).toBe(200);
  const { queues } = (await api.json()) as { queues: { name: string; counts: Record<string, number>; readOnlyMode: boolean }[] };
  expect(queues.map((q) => q.name).sort()).toEqual(platformQueues);
  const total = (name: string) => Object.values(queues.find((q) => q.name === name)!.counts).reduce((a, b) => a + b, 0);
  expect(total("maintenance")).toBe(1);
  expect(total("analytics")).toBe(1);
  expect(queues.every((q) => q.readOnlyMode)).toBe(true);
});

it("keeps the outbox backlog and dead letters from Postgres, as JSON and as a page linked from the board", async () => {
  // With the relay stopped, committed jobs stay in the outbox; dead letters are rows whose last attempt failed.
  await h.server.relay.stop();
  const requestedBy = alice.userId;
  await h.db.primary.job.createMany({
    data: [
      { type: "NOOP", requestedBy },
      { type: "NOOP", requestedBy },
    ],
  });
  const failedAt = new Date();
  await h.db.primary.job.createMany({
    data: [1, 2, 3].map(() => ({
      type: "NOOP" as const,
      requestedBy,
      status: "FAILED" as const,
      enqueuedAt: failedAt,
      finishedAt: failedAt,
      deadLetteredAt: failedAt,
    })),
  });
  const after = (await (await get("/admin/queues/api/outbox", admin)).json()) as { outbox: { undelivered: number }; deadLetter: number };
  expect(after).toMatchObject({ outbox: { undelivered: 2 }, deadLetter: 3 });

  const report = (await (await get("/admin/queues?format=json", admin)).json()) as {
    queues: { name: string }[];
    outbox: unknown;
    deadLetter: number;
  };
  expect(report.queues.map((q) => q.name).sort()).toEqual(platformQueues);
  expect(report.outbox).toEqual(after.outbox);

  const page = await get("/admin/queues/outbox", admin);
  expect(page.status).toBe(200);
  const text = await page.text();
  expect(text).toContain('<dd id="outbox-undelivered">2</dd>');
  expect(text).toContain('<dd id="dead-letter">3</dd>');
  const board = await (await get("/admin/queues", admin)).text();
  expect(board).toContain("/admin/queues/outbox");
});

it("is for admins only, on every path under it, and read-only", async () => {
  const asset = await firstAsset();
  for (const path of [
    "/admin/queues",
    asset,
    "/admin/queues/api/queues",
    "/admin/queues/api/outbox",
    "/admin/queues/outbox",
    "/admin/queues?format=json",
  ]) {
    expect([path, (await get(path, alice)).status]).toEqual([path, 403]);
    expect([path, (await get(path)).status]).toEqual([path, 401]);
  }
  expect((await get("/admin/queuesx", admin)).status).toBe(404);
  // bull-board's actions are not routed at all (GET only), so not even an admin can retry or clean.
  for (const [method, path] of [
    ["PUT", "/admin/queues/api/queues/maintenance/retry/failed"],
    ["PUT", "/admin/queues/api/queues/maintenance/clean/completed"],
    ["PUT", "/admin/queues/api/queues/maintenance/pause"],
    ["POST", "/admin/queues/api/queues/maintenance/add"],
  ] as const) {
    const response = await fetch(`${h.url}${path}`, { method, headers: admin.headers });
    expect([path, response.status]).toEqual([path, 404]);
  }
});
