/**
 * The ceiling for a response-cache hit: a bare node:http server that answers every POST with the
 * exact bytes (and content type) a gateway sent for a cache hit, without reading the body as
 * GraphQL. Run as its own process so its CPU time per request can be read from /proc.
 *
 * Usage: node --import tsx bench/ceiling-server.ts <port> <file with {contentType, body (base64)}>
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:http";

const [port, file] = process.argv.slice(2);
const { contentType, body } = JSON.parse(readFileSync(file!, "utf8")) as { contentType: string; body: string };
const bytes = Buffer.from(body, "base64");
const headers = { "content-type": contentType, "content-length": String(bytes.length) };

createServer((req, res) => {
  if (req.method === "GET") {
    res.writeHead(200).end("ok");
    return;
  }
  // Drain the request so keep-alive connections stay usable, as any server must.
  req.resume();
  req.on("end", () => res.writeHead(200, headers).end(bytes));
}).listen(Number(port), "127.0.0.1");
