/**
 * POST /upload: one image (multipart field `file`, optional field `offerId`) becomes an
 * IMAGE_PROCESSING job. The request is streamed to a temporary file beside its final place (never
 * buffered whole), checked, renamed to `uploads/<jobId>.<ext>`, and the job row (its own outbox
 * entry) is committed; the answer is 202 with the job's status URL.
 *
 * Checks, in the order a byte stream allows: identity (401), declared size (413 before reading),
 * real type from the first bytes (415, whatever the name or Content-Type say), size while
 * streaming (413: writing stops at once), then the image header via sharp (422 for unreadable
 * images or more than IMAGE_MAX_PIXELS pixels). A refused upload leaves no file and no row.
 *
 * While Redis is down uploads are still accepted: the row and file are committed and the outbox
 * relay queues the job once Redis is back.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import busboy from "busboy";
import sharp, { type Metadata } from "sharp";
import { ErrorCode, isUuid, sendJson, type Logger, type RouteHandler } from "@agora/platform";
import { resolveStoragePath, storagePaths } from "@agora/platform/storage";
import type { JobStore } from "@agora/platform/job-store";
import type { JobsSettings } from "../settings.js";
import { sniffImageType, sniffLength, type ImageType } from "../upload/image-type.js";
import { requireRestIdentity, RestError, sendRestError } from "./rest-support.js";

export interface UploadRouteDependencies {
  /** Commits the job row and wakes the outbox relay. */
  jobs: JobStore;
  settings: JobsSettings;
  internalSecret: string;
  log: Logger;
}

/** Room for the multipart framing and the small fields around the file part. */
const multipartOverheadBytes = 64 * 1024;
const maxOriginalNameLength = 255;

const tooLarge = (limit: number) =>
  new RestError(413, ErrorCode.BAD_USER_INPUT, `The file is larger than the limit of ${limit} bytes.`, "FILE_TOO_LARGE");
const unsupportedType = () =>
  new RestError(
    415,
    ErrorCode.BAD_USER_INPUT,
    "The file is not a JPEG, PNG, WebP, AVIF or GIF image (judged by its content, not its name).",
    "UNSUPPORTED_IMAGE_TYPE",
  );
const badRequest = (message: string) => new RestError(400, ErrorCode.BAD_USER_INPUT, message);

interface ReceivedFile {
  bytes: number;
  type: ImageType;
  originalName: string;
  declaredType: string;
}

/**
 * Streams the file part into `tempPath`, sniffing the first bytes before anything else is
 * written, and fsyncs it. Throws 415 as soon as the type is known to be wrong, 413 as soon as the
 * limit is passed.
 */
async function receiveFile(
  stream: Readable & { truncated?: boolean },
  tempPath: string,
  maxBytes: number,
): Promise<{ bytes: number; type: ImageType }> {
  const handle = await open(tempPath, "wx", 0o644);
  let limited = false;
  stream.once("limit", () => {
    limited = true;
  });
  try {
    let bytes = 0;
    let head = Buffer.alloc(0);
    let type: ImageType | null = null;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (limited || stream.truncated) throw tooLarge(maxBytes);
      bytes += chunk.length;
      if (!type) {
        head = Buffer.concat([head, chunk]).subarray(0, sniffLength);
        if (head.length >= sniffLength) {
          type = sniffImageType(head);
          if (!type) throw unsupportedType();
        }
      }
      await handle.write(chunk);
    }
    if (limited || stream.truncated) throw tooLarge(maxBytes);
    if (bytes === 0) throw badRequest('The "file" part is empty.');
    type ??= sniffImageType(head);
    if (!type) throw unsupportedType();
    await handle.sync();
    return { bytes, type };
  } finally {
    await handle.close();
  }
}

/** Parses the multipart body; resolves once the whole body was read and the file is on disk. */
function parseMultipart(
  req: IncomingMessage,
  tempPath: string,
  maxBytes: number,
): Promise<{ file: ReceivedFile; fields: Map<string, string> }> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        defParamCharset: "utf8",
        limits: { files: 1, fileSize: maxBytes, fields: 10, fieldSize: 1024, parts: 12 },
      });
    } catch (error) {
      return reject(badRequest(`The multipart body cannot be read: ${(error as Error).message}`));
    }
    const fields = new Map<string, string>();
    let receiving: Promise<ReceivedFile> | null = null;
    let fileStream: Readable | null = null;
    let failed = false;
    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      req.unpipe(parser);
      // Ends receiveFile's loop if it is still waiting for data, and answers only once it has
      // closed its file, so the caller's cleanup cannot run before the file exists.
      fileStream?.destroy();
      const settled = receiving
        ? receiving.then(
            () => undefined,
            () => undefined,
          )
        : Promise.resolve();
      void settled.then(() => reject(error));
    };

    parser.on("file", (name, stream, info) => {
      if (name !== "file" || receiving) {
        stream.resume();
        return fail(badRequest(`Send exactly one file, in the field "file" (got a file in "${name}").`));
      }
      fileStream = stream;
      receiving = receiveFile(stream, tempPath, maxBytes).then((received) => ({
        ...received,
        originalName: sanitizeName(info.filename ?? ""),
        declaredType: info.mimeType,
      }));
      receiving.catch(fail);
    });
    parser.on("field", (name, value, info) => {
      if (info.valueTruncated) return fail(badRequest(`The field "${name}" is too long.`));
      fields.set(name, value);
    });
    parser.on("filesLimit", () => fail(badRequest('Send exactly one file, in the field "file".')));
    parser.on("fieldsLimit", () => fail(badRequest("Too many form fields.")));
    parser.on("partsLimit", () => fail(badRequest("Too many form parts.")));
    parser.on("error", (error) => fail(badRequest(`The multipart body cannot be read: ${(error as Error).message}`)));
    parser.on("close", () => {
      if (failed) return;
      if (!receiving) return fail(badRequest('The form has no "file" field.'));
      receiving.then((file) => !failed && resolve({ file, fields }), fail);
    });
    req.on("error", fail);
    req.on("close", () => {
      if (!req.complete) fail(badRequest("The upload was aborted."));
    });
    req.pipe(parser);
  });
}

function sanitizeName(name: string): string {
  // eslint-disable-next-line no-control-regex
  return name.replace(/[\u0000-\u001f\u007f]/g, "").slice(0, maxOriginalNameLength);
}

/** Reads only the image header: dimensions without decoding (a decompression bomb stays cheap). */
async function checkImageHeader(path: string, maxPixels: number): Promise<{ width: number; height: number }> {
  let metadata: Metadata;
  try {
    metadata = await sharp(path, { limitInputPixels: false }).metadata();
  } catch {
    throw new RestError(422, ErrorCode.BAD_USER_INPUT, "The image cannot be read: it is corrupt or truncated.", "UNREADABLE_IMAGE");
  }
  const { width, height } = metadata;
  if (!width || !height) throw new RestError(422, ErrorCode.BAD_USER_INPUT, "The image has no readable dimensions.", "UNREADABLE_IMAGE");
  if (width * height > maxPixels) {
    throw new RestError(
      422,
      ErrorCode.BAD_USER_INPUT,
      `The image is ${width}×${height} = ${width * height} pixels; the limit is ${maxPixels}.`,
      "TOO_MANY_PIXELS",
    );
  }
  return { width, height };
}

export function createUploadRoute(deps: UploadRouteDependencies): RouteHandler {
  const { settings } = deps;
  return async (req: IncomingMessage, res: ServerResponse) => {
    const jobId = randomUUID();
    const uploadsDir = resolveStoragePath(settings.storageDir, storagePaths.uploadsDir);
    const tempPath = join(uploadsDir, `.${jobId}.part`);
    let finalPath: string | null = null;
    let committed = false;
    try {
      const identity = await requireRestIdentity(req, deps.internalSecret);
      const contentType = req.headers["content-type"] ?? "";
      if (!/^multipart\/form-data/i.test(contentType)) {
        throw new RestError(415, ErrorCode.BAD_USER_INPUT, 'Send the image as multipart/form-data in the field "file".', "NOT_MULTIPART");
      }
      const declared = Number(req.headers["content-length"]);
      if (Number.isFinite(declared) && declared > settings.uploadMaxBytes + multipartOverheadBytes) throw tooLarge(settings.uploadMaxBytes);

      await mkdir(uploadsDir, { recursive: true });
      const { file, fields } = await parseMultipart(req, tempPath, settings.uploadMaxBytes);
      const offerId = fields.get("offerId")?.trim() || null;
      if (offerId !== null && !isUuid(offerId)) throw badRequest(`"offerId" is not a valid id: ${JSON.stringify(offerId.slice(0, 60))}.`);
      const { width, height } = await checkImageHeader(tempPath, settings.imageMaxPixels);

      const relativePath = storagePaths.upload(jobId, file.type.ext);
      finalPath = resolveStoragePath(settings.storageDir, relativePath);
      await rename(tempPath, finalPath);
      await syncDirectory(uploadsDir);

      await deps.jobs.submitJobs([
        {
          id: jobId,
          type: "IMAGE_PROCESSING",
          priority: 5,
          requestedBy: identity.userId,
          maxAttempts: settings.maxAttempts,
          input: {
            path: relativePath,
            offerId: offerId?.toLowerCase() ?? null,
            originalName: file.originalName,
            mimeType: file.type.mime,
            bytes: file.bytes,
            width,
            height,
          },
        },
      ]);
      committed = true;
      const statusUrl = `/jobs/${jobId}`;
      sendJson(res, 202, { jobId, status: "PENDING", statusUrl }, { location: statusUrl });
    } catch (error) {
      // Clean up before answering: once the client has its answer, nothing of it is left.
      await rm(tempPath, { force: true });
      if (!committed && finalPath) await rm(finalPath, { force: true });
      if (!(error instanceof RestError)) throw error;
      // The rest of a refused body is read and dropped (so the client gets to see the answer),
      // then the connection is closed.
      req.unpipe();
      req.resume();
      sendRestError(res, error, { connection: "close" });
    }
  };
}

/** fsync of the directory makes the rename itself durable. */
async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
