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

it("shows admins each queue's counts, the outbox backlog and dead letters", async () => {
  const created = await h.gql(
    `mutation { createJobs(input: [{ type: NOOP }, { type: ANALYTICS_REPORT, input: { from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z" } }]) { id } }`,
    {},
    alice,
  );
  expect(created.errors).toBeUndefined();
  await eventually(async () => (await h.db.primary.job.count({ where: { enqueuedAt: null } })) === 0, "the jobs to be queued");

  const response = await get("/admin/queues", admin);
  expect(response.status).toBe(200);
  const report = (await response.json()) as {
    queues: { name: string; counts: Record<string, number>; failed: unknown[] }[];
    outbox: { undelivered: number };
    deadLetter: number;
  };
  expect(report.queues.map((q) => q.name).sort()).toEqual(["analytics", "image-processing", "maintenance", "moderation", "search-index"]);
  const total = (name: string) => Object.values(report.queues.find((q) => q.name === name)!.counts).reduce((a, b) => a + b, 0);
  expect(total("maintenance")).toBe(1);
  expect(total("analytics")).toBe(1);
  expect(report.outbox.undelivered).toBe(0);
  expect(report.deadLetter).toBe(0);

  const html = await get("/admin/queues", admin, { accept: "text/html" });
  expect(html.headers.get("content-type")).toMatch(/^text\/html/);
  expect(await html.text()).toContain("image-processing");
});

it("is for admins only", async () => {
  expect((await get("/admin/queues", alice)).status).toBe(403);
  expect((await get("/admin/queues")).status).toBe(401);
  expect((await get("/admin/queuesx", admin)).status).toBe(404);
});
