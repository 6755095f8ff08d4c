import { createDatabase } from "../database.js";
import { describeDependencyFailure } from "../dependency-failure.js";
import { withTimeout } from "../with-timeout.js";

describe("describeDependencyFailure", () => {
  it("says only 'unreachable' about a database that refuses connections, unless details are exposed", async () => {
    const db = createDatabase({ url: "postgresql://postgres@127.0.0.1:1/agora_secret_name", poolSize: 1 });
    const error = await db.primary.$queryRawUnsafe("SELECT 1").catch((e: unknown) => e);
    await db.disconnect();
    expect(describeDependencyFailure(error, false)).toEqual({ state: "unreachable" });
    expect(describeDependencyFailure(error, true)).toEqual({ state: "unreachable", detail: expect.stringMatching(/127\.0\.0\.1:1/) });
  });

  it("tells a timeout and a closed port apart for fetch, the way readiness checks call subgraphs", async () => {
    const refused = await fetch("http://127.0.0.1:1/health/ready").catch((e: unknown) => e);
    expect(describeDependencyFailure(refused, false)).toEqual({ state: "unreachable" });
    const slow = await withTimeout(new Promise(() => {}), 10, "Redis").catch((e: unknown) => e);
    expect(describeDependencyFailure(slow, false)).toEqual({ state: "timeout" });
  });

  it("calls anything else an error, without its text", () => {
    const leaked = new Error('relation "users.users" does not exist at /srv/agora/node_modules/pg/lib/client.js:545');
    expect(describeDependencyFailure(leaked, false)).toEqual({ state: "error" });
  });
});
