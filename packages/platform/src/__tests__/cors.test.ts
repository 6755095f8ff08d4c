import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createCors, parseCorsOrigins, type CorsOptions } from "../cors.js";

/** A real server whose only route answers 200 "ok" after the CORS handler had its say. */
async function serve(options: CorsOptions): Promise<{ url: string; server: Server }> {
  const cors = createCors(options);
  const server = createServer((req, res) => {
    if (cors(req, res) === "answered") return;
    res.writeHead(200, { "content-type": "text/plain" }).end("ok");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

const preflight = (url: string, origin: string) =>
  fetch(url, { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST" } });

describe("createCors", () => {
  let open: Server[] = [];
  afterEach(async () => {
    await Promise.all(open.map((server) => new Promise((resolve) => server.close(resolve))));
    open = [];
  });

  it("with * answers any origin with a literal * and no credentials", async () => {
    const { url, server } = await serve({ origins: ["*"] });
    open.push(server);
    const response = await preflight(url, "https://anything.example");
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(response.headers.get("access-control-allow-credentials")).toBeNull();
  });

  it("with credentials echoes the origin and allows credentials, on preflights and answers alike", async () => {
    const { url, server } = await serve({ origins: ["https://app.example.com"], allowCredentials: true, maxAgeSeconds: 60 });
    open.push(server);
    const response = await preflight(url, "https://app.example.com");
    expect(response.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(response.headers.get("access-control-allow-credentials")).toBe("true");
    expect(response.headers.get("access-control-max-age")).toBe("60");
    const answer = await fetch(url, { headers: { origin: "https://app.example.com" } });
    expect(await answer.text()).toBe("ok");
    expect(answer.headers.get("access-control-allow-credentials")).toBe("true");
  });

  it("leaves requests without an Origin alone, apart from Vary", async () => {
    const { url, server } = await serve({ origins: ["https://app.example.com"] });
    open.push(server);
    const response = await fetch(url);
    expect(await response.text()).toBe("ok");
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
    expect(response.headers.get("vary")).toBe("Origin");
  });

  it("refuses credentials for any origin, and entries that are not origins", () => {
    expect(() => createCors({ origins: ["*"], allowCredentials: true })).toThrow(/credentials cannot be allowed for any origin/);
    expect(parseCorsOrigins(" https://a.example ,, http://localhost:5173 ")).toEqual(["https://a.example", "http://localhost:5173"]);
    expect(() => parseCorsOrigins("https://a.example/app")).toThrow(/is not an origin/);
    expect(() => parseCorsOrigins("ftp://a.example")).toThrow(/is not an origin/);
  });
});
