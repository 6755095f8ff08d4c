/**
 * What infra/haproxy/haproxy.cfg promises, checked against real HAProxy with two stand-in
 * gateways (plain HTTP servers that record what reaches them): the client address is forwarded
 * and cannot be spoofed, WebSocket upgrades pass, and a request that reached a gateway is never
 * sent again, even when that gateway dropped it without an answer.
 */
import { createHash } from "node:crypto";
import { createServer, request, type IncomingMessage, type Server } from "node:http";
import type { Socket } from "node:net";
import { freePort, haproxyInstalled, startHaproxy, type Haproxy } from "../support/tier.js";

const describeWithHaproxy = haproxyInstalled ? describe : describe.skip;
if (!haproxyInstalled) console.warn("HAProxy configuration test skipped: HAProxy is not installed (apt-get install haproxy)");

interface StandIn {
  server: Server;
  port: number;
  received: IncomingMessage[];
  /** What the next POST /graphql gets: an answer, or a dropped connection. */
  mode: "answer" | "drop";
}

async function standIn(): Promise<StandIn> {
  const port = await freePort();
  const self: StandIn = { server: createServer(), port, received: [], mode: "answer" };
  self.server.on("request", (req, res) => {
    if (req.url === "/health/ready") return void res.writeHead(200).end("{}");
    self.received.push(req);
    if (self.mode === "drop") return void req.socket.destroy();
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ data: { port } }));
  });
  // A WebSocket-style upgrade: 101, then echo every byte back.
  self.server.on("upgrade", (req: IncomingMessage, socket: Socket) => {
    self.received.push(req);
    const accept = createHash("sha1").update(`${req.headers["sec-websocket-key"]}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => self.server.listen(port, "127.0.0.1", resolve));
  return self;
}

let primary: StandIn;
let secondary: StandIn;
let haproxy: Haproxy | undefined;

beforeAll(async () => {
  if (!haproxyInstalled) return;
  [primary, secondary] = await Promise.all([standIn(), standIn()]);
  haproxy = await startHaproxy({ primary: primary.port, secondary: secondary.port });
  await haproxy.waitForStatus("primary", "UP");
  await haproxy.waitForStatus("secondary", "UP");
});
afterAll(async () => {
  if (!haproxyInstalled) return;
  await haproxy?.stop();
  for (const s of [primary, secondary]) {
    s.server.closeAllConnections();
    await new Promise<void>((resolve) => s.server.close(() => resolve()));
  }
});

const received = () => [...primary.received, ...secondary.received];

describeWithHaproxy("infra/haproxy/haproxy.cfg", () => {
  it("sends requests to both gateways (active-active)", async () => {
    const ports = new Set<number>();
    for (let i = 0; i < 6; i++) {
      const response = await fetch(`${haproxy!.url}/graphql`, { method: "POST", body: "{}" });
      ports.add(((await response.json()) as { data: { port: number } }).data.port);
    }
    expect(ports).toEqual(new Set([primary.port, secondary.port]));
  });

  it("forwards the client's address and drops forwarding headers the client sent", async () => {
    const before = received().length;
    await fetch(`${haproxy!.url}/graphql`, {
      method: "POST",
      body: "{}",
      headers: { "x-forwarded-for": "203.0.113.7", forwarded: "for=203.0.113.7", "x-real-ip": "203.0.113.7" },
    });
    const [req] = received().slice(before);
    expect(req?.headers["x-forwarded-for"]).toBe("127.0.0.1");
    expect(req?.headers.forwarded).toBeUndefined();
    expect(req?.headers["x-real-ip"]).toBeUndefined();
  });

  it("passes WebSocket upgrades through as a tunnel", async () => {
    const { port } = new URL(haproxy!.url);
    const echoed = await new Promise<string>((resolve, reject) => {
      const req = request({
        host: "127.0.0.1",
        port,
        path: "/graphql",
        headers: {
          connection: "Upgrade",
          upgrade: "websocket",
          "sec-websocket-version": "13",
          "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
          "sec-websocket-protocol": "graphql-transport-ws",
        },
        timeout: 10_000,
      });
      req.on("timeout", () => reject(new Error("no answer to the upgrade")));
      req.on("upgrade", (res, socket) => {
        expect(res.statusCode).toBe(101);
        socket.once("data", (chunk: Buffer) => {
          resolve(chunk.toString("utf8"));
          socket.destroy();
        });
        socket.write("ping");
      });
      req.on("error", reject);
      req.end();
    });
    expect(echoed).toBe("ping");
  });

  it("never sends a request again once it reached a gateway, even when that gateway dropped it", async () => {
    primary.mode = "drop";
    secondary.mode = "drop";
    try {
      const before = received().length;
      const outcome = await fetch(`${haproxy!.url}/graphql`, { method: "POST", body: '{"query":"mutation { createOffer }"}' }).then(
        (r) => r.status,
        () => "dropped",
      );
      expect(outcome === "dropped" || outcome === 502).toBe(true);
      expect(received().length - before).toBe(1);
    } finally {
      primary.mode = "answer";
      secondary.mode = "answer";
    }
  });
});
