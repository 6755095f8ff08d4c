/**
 * `pnpm start` with no configuration, as a new user runs it: it must not serve with the public
 * development secrets, and must not listen beyond this machine. Runs the real scripts/start.ts
 * (subgraphs and gateway as child processes; no workers) against a database of its own.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { createServer, connect } from "node:net";
import { networkInterfaces, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { devSecret, issueAccessToken } from "@agora/platform";
import { createTestDatabase, graphqlRequest, testKeyPrefix } from "@agora/platform/testing";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (address && typeof address === "object" ? resolve(address.port) : reject(new Error("no port"))));
    });
  });

/** Resolves true when something accepts a TCP connection at host:port, false when refused. */
const accepts = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, host);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });

let start: ChildProcess | undefined;
let output = "";
let secretsDir: string;
let storageDir: string;
let gatewayPort: number;
let publicPort: number;

afterAll(async () => {
  if (start && start.exitCode === null && start.signalCode === null) {
    const exited = new Promise((resolve) => start?.once("exit", resolve));
    start.kill("SIGINT");
    await exited;
  }
  await rm(secretsDir, { recursive: true, force: true });
  await rm(storageDir, { recursive: true, force: true });
});

it("pnpm start with no configuration generates its own secrets and listens on loopback only", async () => {
  secretsDir = await mkdtemp(join(tmpdir(), "agora-start-secrets-"));
  storageDir = await mkdtemp(join(tmpdir(), "agora-start-storage-"));
  gatewayPort = await freePort();
  publicPort = await freePort();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATABASE_URL: await createTestDatabase("start"),
    REDIS_KEY_PREFIX: testKeyPrefix("start"),
    START_SECRETS_DIR: join(secretsDir, ".agora"),
    STORAGE_DIR: storageDir,
    START_QUIET: "1",
    LOG_LEVEL: "warn",
    WORKER_COUNT: "0",
    SEED_USERS: "5",
    SEED_OFFERS: "3",
    SEED_REVIEWS_PER_OFFER: "1",
    GATEWAY_PORT: String(gatewayPort),
    // Where clients connect: HAProxy in front of both gateways when it is installed, else the one gateway.
    PUBLIC_PORT: String(publicPort),
    GATEWAY_SECONDARY_PORT: String(await freePort()),
    HAPROXY_STATS_PORT: String(await freePort()),
    USERS_PORT: String(await freePort()),
    OFFERS_PORT: String(await freePort()),
    REVIEWS_PORT: String(await freePort()),
    JOBS_PORT: String(await freePort()),
  };
  start = spawn(process.execPath, ["--import", "tsx", join(root, "scripts/start.ts")], {
    cwd: root,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  start.stdout?.on("data", (data: Buffer) => (output += data.toString()));
  start.stderr?.on("data", (data: Buffer) => (output += data.toString()));
  await new Promise<void>((resolve, reject) => {
    const check = () => {
      if (output.includes("Agora is running")) resolve();
    };
    start?.stdout?.on("data", check);
    start?.once("exit", (code) => reject(new Error(`pnpm start exited (${code}) before it was ready:\n${output}`)));
  });

  expect(output).toMatch(/Generated INTERNAL_SECRET and JWT_SECRET into .*secrets\.env/);
  const file = join(secretsDir, ".agora", "secrets.env");
  expect((await stat(file)).mode & 0o777).toBe(0o600);
  const stored = await readFile(file, "utf8");
  expect(stored).toMatch(/^JWT_SECRET=\S{32,}$/m);
  expect(stored).toMatch(/^INTERNAL_SECRET=\S{32,}$/m);
  expect(stored).not.toContain(devSecret);

  // An ADMIN token minted with the public development secret is worthless here…
  const url = `http://127.0.0.1:${publicPort}/graphql`;
  const forged = await issueAccessToken(
    { userId: "00000000-0000-4000-8000-000000000000", role: "ADMIN" },
    { secret: devSecret, issuer: "agora-users", audience: "agora-api", ttlSeconds: 900 },
  );
  const refused = await graphqlRequest(url, "{ me { id } }", undefined, { authorization: `Bearer ${forged}` });
  expect(refused.status).toBe(401);
  expect(refused.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  // …while the services agree on the generated ones: a real sign-in works end to end.
  const login = await graphqlRequest<{ login: { accessToken: string } }>(
    url,
    'mutation { login(email: "alice@agora.test", password: "agora-demo-password") { accessToken } }',
  );
  const token = login.data?.login.accessToken;
  expect(token).toEqual(expect.any(String));
  const me = await graphqlRequest<{ me: { email: string } }>(url, "{ me { email } }", undefined, { authorization: `Bearer ${token}` });
  expect(me.data?.me.email).toBe("alice@agora.test");

  // Loopback only: the public entry answers on 127.0.0.1 and refuses this machine's other addresses.
  expect(await accepts("127.0.0.1", publicPort)).toBe(true);
  const external = Object.values(networkInterfaces())
    .flat()
    .find((address) => address && address.family === "IPv4" && !address.internal);
  if (external) expect(await accepts(external.address, publicPort)).toBe(false);
  // So do the gateways behind HAProxy, when it runs.
  if (output.includes("HAProxy :")) {
    expect(await accepts("127.0.0.1", gatewayPort)).toBe(true);
    if (external) expect(await accepts(external.address, gatewayPort)).toBe(false);
  }
}, 180_000);
