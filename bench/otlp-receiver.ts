/**
 * A stand-in OpenTelemetry collector for `BENCH_SUITE=tracing`: accepts OTLP/HTTP `POST /v1/traces`
 * (protobuf or JSON) with 200 and counts requests and bytes; `GET /stats` returns the counts, so the
 * bench can show whether a gateway exported anything at all.
 *
 * Usage: node --import tsx bench/otlp-receiver.ts <port>
 */
import { createServer } from "node:http";

const [port] = process.argv.slice(2);
const stats = { requests: 0, bytes: 0 };

createServer((req, res) => {
  if (req.method === "GET" && req.url === "/stats") {
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(stats));
    return;
  }
  let bytes = 0;
  req.on("data", (chunk: Buffer) => (bytes += chunk.length));
  req.on("end", () => {
    if (req.method === "POST" && req.url === "/v1/traces") {
      stats.requests++;
      stats.bytes += bytes;
      // An empty ExportTraceServiceResponse: zero bytes in protobuf, {} in JSON.
      const json = String(req.headers["content-type"] ?? "").includes("json");
      res.writeHead(200, { "content-type": json ? "application/json" : "application/x-protobuf" }).end(json ? "{}" : "");
      return;
    }
    res.writeHead(404).end();
  });
}).listen(Number(port), "127.0.0.1");
