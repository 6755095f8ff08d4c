import { randomUUID } from "node:crypto";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { crc32, deflateSync } from "node:zlib";
import sharp from "sharp";
import { eventually, listFiles, startHarness, user, type Harness, type TestUser } from "./support.js";

let h: Harness;
let alice: TestUser;
let bob: TestUser;
let admin: TestUser;
let png: Buffer;

beforeAll(async () => {
  // A small limit so "too large" files are cheap to make; the pixel limit stays at its default.
  h = await startHarness({ settings: { uploadMaxBytes: 256 * 1024 } });
  [alice, bob, admin] = await Promise.all([user(), user(), user("ADMIN")]);
  png = await sharp({ create: { width: 64, height: 48, channels: 3, background: "#3366cc" } })
    .png()
    .toBuffer();
});
afterAll(async () => {
  await h.close();
});

function form(file: Buffer | null, name = "photo.jpg", type = "image/jpeg", fields: Record<string, string> = {}): FormData {
  const body = new FormData();
  for (const [key, value] of Object.entries(fields)) body.append(key, value);
  if (file) body.append("file", new Blob([new Uint8Array(file)], { type }), name);
  return body;
}

async function upload(body: FormData | string, as?: TestUser, headers: Record<string, string> = {}) {
  const response = await fetch(`${h.url}/upload`, { method: "POST", body, headers: { ...(as?.headers ?? {}), ...headers } });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, any>) : null };
}

/** A PNG whose header claims width × height, with almost no pixel data: a decompression bomb's shape. */
function pngHeaderOnly(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(Buffer.alloc(100))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** The platform's one error shape (GraphQL's `errors` array); returns the `extensions` (code, reason). */
function refusal(body: unknown): Record<string, unknown> {
  expect(body).toEqual({ errors: [{ message: expect.any(String), extensions: expect.objectContaining({ code: expect.any(String) }) }] });
  return (body as { errors: [{ extensions: Record<string, unknown> }] }).errors[0].extensions;
}

/** Nothing was kept: no file (not even a temporary one) and no job row. */
async function expectNothingStored() {
  expect(await listFiles(h.settings.storageDir)).toEqual([]);
  expect(await h.db.primary.job.count()).toBe(0);
}

describe("refused uploads leave no file and no job", () => {
  it("401 without an identity", async () => {
    const response = await upload(form(png));
    expect(response.status).toBe(401);
    expect(refusal(response.body)).toEqual({ code: "UNAUTHENTICATED" });
    await expectNothingStored();
  });

  it("401 with a forged identity", async () => {
    const response = await upload(form(png), undefined, { "x-agora-identity": "not-a-token" });
    expect(response.status).toBe(401);
    await expectNothingStored();
  });

  it("413 for a file over the limit, declared up front", async () => {
    const response = await upload(form(Buffer.concat([png, Buffer.alloc(2 * 1024 * 1024)])), alice);
    expect(response.status).toBe(413);
    expect(refusal(response.body)).toEqual({ code: "BAD_USER_INPUT", reason: "FILE_TOO_LARGE" });
    await expectNothingStored();
  });

  it("413 for a file just over the limit, found while streaming", async () => {
    const file = Buffer.concat([png, Buffer.alloc(256 * 1024 + 1 - png.length)]);
    const response = await upload(form(file, "big.png", "image/png"), alice);
    expect(response.status).toBe(413);
    await expectNothingStored();
  });

  it("413 for a chunked body without a length", async () => {
    const boundary = "----agora-test-boundary";
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.png"\r\nContent-Type: image/png\r\n\r\n`,
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        `${h.url}/upload`,
        {
          method: "POST",
          headers: { ...alice.headers, "content-type": `multipart/form-data; boundary=${boundary}`, "transfer-encoding": "chunked" },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.write(head);
      req.write(png);
      for (let i = 0; i < 10; i++) req.write(Buffer.alloc(64 * 1024));
      req.end(tail);
    });
    expect(status).toBe(413);
    await expectNothingStored();
  });

  it("415 for a text file named .jpg and sent as image/jpeg", async () => {
    const response = await upload(
      form(Buffer.from("hello, I am not an image at all, just text ".repeat(10)), "cat.jpg", "image/jpeg"),
      alice,
    );
    expect(response.status).toBe(415);
    expect(refusal(response.body)).toEqual({ code: "BAD_USER_INPUT", reason: "UNSUPPORTED_IMAGE_TYPE" });
    await expectNothingStored();
  });

  it("415 for a tiny non-image and for an SVG", async () => {
    expect((await upload(form(Buffer.from("hi"), "a.png", "image/png"), alice)).status).toBe(415);
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>');
    expect((await upload(form(svg, "a.svg", "image/svg+xml"), alice)).status).toBe(415);
    await expectNothingStored();
  });

  it("415 for a body that is not multipart", async () => {
    const response = await upload(JSON.stringify({ file: "x" }), alice, { "content-type": "application/json" });
    expect(response.status).toBe(415);
    await expectNothingStored();
  });

  it("422 for a corrupt image with valid magic bytes", async () => {
    const corrupt = Buffer.concat([png.subarray(0, 16), Buffer.from("garbage garbage garbage garbage garbage garbage garbage garbage")]);
    const response = await upload(form(corrupt, "broken.png", "image/png"), alice);
    expect(response.status).toBe(422);
    expect(refusal(response.body)).toEqual({ code: "BAD_USER_INPUT", reason: "UNREADABLE_IMAGE" });
    await expectNothingStored();
  });

  it("422 for an image over the pixel limit (read from the header, never decoded)", async () => {
    const response = await upload(form(pngHeaderOnly(10_000, 10_000), "bomb.png", "image/png"), alice);
    expect(response.status).toBe(422);
    expect(refusal(response.body)).toEqual({ code: "BAD_USER_INPUT", reason: "TOO_MANY_PIXELS" });
    await expectNothingStored();
  });

  it("400 for a missing file, a bad offerId, or two files", async () => {
    expect((await upload(form(null, "x", "x", { offerId: randomUUID() }), alice)).status).toBe(400);
    expect((await upload(form(png, "a.png", "image/png", { offerId: "offer-1" }), alice)).status).toBe(400);
    const two = form(png, "a.png", "image/png");
    two.append("file", new Blob([new Uint8Array(png)]), "b.png");
    expect((await upload(two, alice)).status).toBe(400);
    await expectNothingStored();
  });
});

describe("accepted uploads", () => {
  let jobId: string;
  const offerId = randomUUID();

  it("answers 202 with the job, stores the file under a server-made name, and queues the job", async () => {
    // The client's name and type say JPEG; the bytes are PNG, and that is what counts. The
    // client's path never reaches the disk (only its base name is kept, as information).
    const response = await upload(form(png, "../../etc/evil name.jpg", "image/jpeg", { offerId }), alice);
    expect(response.status).toBe(202);
    jobId = response.body!.jobId;
    expect(response.body).toEqual({ jobId, status: "PENDING", statusUrl: `/jobs/${jobId}` });
    expect(response.headers.get("location")).toBe(`/jobs/${jobId}`);

    expect(await listFiles(h.settings.storageDir)).toEqual([`uploads/${jobId}.png`]);
    expect(await readFile(join(h.settings.storageDir, "uploads", `${jobId}.png`))).toEqual(png);

    const row = await h.db.primary.job.findUnique({ where: { id: jobId } });
    expect(row).toMatchObject({ type: "IMAGE_PROCESSING", status: "PENDING", requestedBy: alice.userId });
    expect(row?.input).toEqual({
      path: `uploads/${jobId}.png`,
      offerId,
      originalName: "evil name.jpg",
      mimeType: "image/png",
      bytes: png.length,
      width: 64,
      height: 48,
    });

    const queued = await eventually(() => h.queue("IMAGE_PROCESSING").getJob(jobId), "the BullMQ job");
    expect(queued.id).toBe(jobId);
    expect(queued.name).toBe("IMAGE_PROCESSING");
    // The request id of the upload travels with the job, for the worker's log lines.
    expect(queued.data).toEqual({ jobId, trace: { "x-request-id": expect.any(String) } });
  });

  it("accepts JPEG, WebP, GIF and AVIF by their content", async () => {
    const base = sharp({ create: { width: 8, height: 8, channels: 3, background: "#ff0000" } });
    const files: [Buffer, string][] = [
      [await base.clone().jpeg().toBuffer(), "jpg"],
      [await base.clone().webp().toBuffer(), "webp"],
      [await base.clone().gif().toBuffer(), "gif"],
      [await base.clone().avif().toBuffer(), "avif"],
    ];
    for (const [file, ext] of files) {
      const response = await upload(form(file, "upload.bin", "application/octet-stream"), bob);
      expect({ ext, status: response.status }).toEqual({ ext, status: 202 });
      expect((await stat(join(h.settings.storageDir, "uploads", `${response.body!.jobId}.${ext}`))).size).toBe(file.length);
    }
  });

  it("serves GET /jobs/:id to the owner and admins only", async () => {
    const get = (path: string, as?: TestUser) => fetch(`${h.url}${path}`, { headers: as?.headers ?? {} });
    const own = await get(`/jobs/${jobId}`, alice);
    expect(own.status).toBe(200);
    expect(await own.json()).toMatchObject({
      id: jobId,
      type: "IMAGE_PROCESSING",
      status: "PENDING",
      progress: 0,
      requestedBy: alice.userId,
      result: null,
    });
    expect((await get(`/jobs/${jobId}`, admin)).status).toBe(200);
    const other = await get(`/jobs/${jobId}`, bob);
    expect(other.status).toBe(404);
    expect(refusal(await other.json())).toEqual({ code: "NOT_FOUND" });
    expect((await get(`/jobs/${randomUUID()}`, alice)).status).toBe(404);
    expect((await get(`/jobs/not-a-uuid`, alice)).status).toBe(400);
    expect((await get(`/jobs/${jobId}`)).status).toBe(401);
  });
});

describe("GET /files", () => {
  const get = (path: string, as?: TestUser) => fetch(`${h.url}${path}`, { headers: as?.headers ?? {} });

  it("serves processed images publicly with their content type", async () => {
    const webp = await sharp({ create: { width: 4, height: 4, channels: 3, background: "#00ff00" } })
      .webp()
      .toBuffer();
    await mkdir(join(h.settings.storageDir, "images", "j1"), { recursive: true });
    await writeFile(join(h.settings.storageDir, "images", "j1", "medium.webp"), webp);
    const response = await get("/files/images/j1/medium.webp");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/webp");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(Buffer.from(await response.arrayBuffer())).toEqual(webp);
  });

  it("serves raw uploads to their owner and admins only", async () => {
    const response = await upload(form(png, "p.png", "image/png"), alice);
    const path = `/files/uploads/${response.body!.jobId}.png`;
    expect((await get(path, alice)).status).toBe(200);
    expect((await get(path, admin)).status).toBe(200);
    expect((await get(path, bob)).status).toBe(404);
    expect((await get(path)).status).toBe(404);
  });

  it("never leaves the storage directory", async () => {
    await writeFile(join(h.settings.storageDir, "..", "agora-secret.txt"), "secret").catch(() => undefined);
    for (const path of [
      "/files/images/..%2f..%2fagora-secret.txt",
      "/files/images/%2e%2e/%2e%2e/agora-secret.txt",
      "/files/images/../../agora-secret.txt",
      "/files/%2fetc%2fpasswd",
      "/files/images/%00",
      "/files/images/.hidden",
      "/files/images/j1",
      "/files/nothing/here.png",
    ]) {
      const response = await get(path, admin);
      expect({ path, status: response.status }).toEqual({ path, status: 404 });
    }
  });
});
