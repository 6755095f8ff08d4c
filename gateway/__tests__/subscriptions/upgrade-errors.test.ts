/**
 * WebSocket upgrades the gateway refuses (a path other than /graphql) answer 404, and a client that
 * resets the connection right after does not take the gateway down (an upgraded socket is no longer
 * watched by Node's HTTP server: its 'error' must be handled by us).
 */
import { connect } from "node:net";
import { startStack, type Stack } from "../support/stack.js";
import { freePort, startGatewayProcess, stopChild, type GatewayProcess } from "../support/tier.js";

// A gateway process of its own: an unhandled 'error' would end that process, which the test sees.
let stack: Stack;
let gateway: GatewayProcess;
beforeAll(async () => {
  stack = await startStack({ label: "wsupgrade" });
  gateway = await startGatewayProcess(stack, "upgrade", await freePort());
});
afterAll(async () => {
  await stopChild(gateway, 5000);
  await stack.stop();
});

test("an upgrade on another path gets 404; a reset right after leaves the gateway serving", async () => {
  const { port } = gateway;
  const answer = await new Promise<string>((resolve, reject) => {
    const socket = connect(Number(port), "127.0.0.1", () => {
      socket.write(
        "GET /elsewhere HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
          "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
      );
    });
    socket.once("data", (chunk) => {
      resolve(chunk.toString("latin1"));
      socket.resetAndDestroy(); // RST, as a client that vanishes does
    });
    socket.once("error", reject);
  });
  expect(answer).toMatch(/^HTTP\/1\.1 404/);
  await new Promise((r) => setTimeout(r, 200));
  expect(gateway.process.exitCode).toBeNull();
  expect((await fetch(`${gateway.url}/health/live`)).status).toBe(200);
});
