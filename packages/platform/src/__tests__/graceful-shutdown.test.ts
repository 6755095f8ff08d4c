/**
 * Zero-drop shutdown in a real process: SIGTERM while a slow request is in flight. The request
 * completes with 200, readiness answers 503 at once, idle keep-alive connections do not hold the
 * process open, new connections are refused once the listener closes, and the exit code is 0.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { request, Agent } from "node:http";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const fixture = fileURLToPath(new URL("./fixtures/slow-server.ts", import.meta.url));
const children: ChildProcess[] = [];
afterAll(() => children.forEach((c) => c.exitCode === null && c.kill("SIGKILL")));

interface Started {
  child: ChildProcess;
  port: number;
  lines: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForLine(text: string): Promise<void>;
}

async function start(env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, ["--import", "tsx", fixture], {
    env: { ...process.env, NODE_OPTIONS: "", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(child);
  const lines: string[] = [];
  const waiters: { text: string; resolve: () => void }[] = [];
  createInterface({ input: child.stdout! }).on("line", (line) => {
    lines.push(line);
    for (const w of waiters.filter((w) => line.includes(w.text))) w.resolve();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const waitForLine = (text: string) =>
    lines.some((l) => l.includes(text)) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ text, resolve }));
  await waitForLine("listening");
  const port = Number(lines.find((l) => l.startsWith("listening"))!.split(" ")[1]);
  return { child, port, lines, exited, waitForLine };
}

function get(port: number, path: string, agent?: Agent): Promise<{ status: number; body: string; connection?: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, agent: agent ?? false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection }));
    });
    req.on("error", reject);
    req.end();
  });
}

test("SIGTERM with a slow request in flight: it completes with 200, readiness says 503, exit 0", async () => {
  const s = await start({ SHUTDOWN_DELAY_MS: "500", SLOW_MS: "1500" });
  // An idle keep-alive connection must not keep the process alive.
  const keepAlive = new Agent({ keepAlive: true });
  expect((await get(s.port, "/fast", keepAlive)).status).toBe(200);

  const slow = get(s.port, "/slow");
  await s.waitForLine("slow started");
  s.child.kill("SIGTERM");
  // A signal is delivered asynchronously; from "shutting down" on, the process is draining.
  await s.waitForLine("shutting down");

  // During the delay the instance still answers, but says it is not ready and retires connections.
  const ready = await get(s.port, "/health/ready");
  expect(ready.status).toBe(503);
  expect(JSON.parse(ready.body).errors[0].extensions).toMatchObject({ code: "SERVICE_UNAVAILABLE", status: "draining" });
  expect(ready.connection).toBe("close");

  const answer = await slow;
  expect(answer.status).toBe(200);
  expect(JSON.parse(answer.body)).toEqual({ slow: "done" });
  expect(answer.connection).toBe("close");

  // The listener is closed by now: a new connection is refused.
  await expect(get(s.port, "/fast")).rejects.toMatchObject({ code: "ECONNREFUSED" });
  expect(await s.exited).toEqual({ code: 0, signal: null });
  expect(s.lines).toContain("stopped");
  keepAlive.destroy();
});

test("a request still running when the grace period ends is cut, and the process still exits 0", async () => {
  const s = await start({ SHUTDOWN_GRACE_MS: "300", SLOW_MS: "20000" });
  const slow = get(s.port, "/slow");
  await s.waitForLine("slow started");
  s.child.kill("SIGTERM");
  await expect(slow).rejects.toMatchObject({ code: "ECONNRESET" });
  expect(await s.exited).toEqual({ code: 0, signal: null });
});
