/**
 * GET /files/<relative path> — files under STORAGE_DIR. Processed images (`images/...`) are
 * public: offers show them to everyone. Raw uploads and reports (`uploads/<jobId>.<ext>`,
 * `reports/<jobId>.<ext>`) belong to a job and are served to its requester or an admin only.
 * Nothing else is served: no dot-files (temporary files), no `..`, no symlinks out of the root.
 * A report served is an audit event (REPORT_DOWNLOAD: who, from where, which job's report); refused
 * requests are plain 404s and not audited, so probing cannot fill the log.
 */
import { createReadStream } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { sep } from "node:path";
import { pipeline } from "node:stream/promises";
import { ErrorCode, isAdmin, isUuid, originOfRequest, type Identity, type RouteHandler } from "@agora/platform";
import type { AuditRecorder } from "@agora/platform/audit-events";
import { resolveStoragePath } from "@agora/platform/storage";
import type { JobStore } from "@agora/platform/job-store";
import { contentTypeFor, filesRoutePrefix } from "../storage/public-files.js";
import { optionalRestIdentity, RestError, sendRestError } from "./rest-support.js";

export interface FilesRouteDependencies {
  storageDir: string;
  jobs: JobStore;
  internalSecret: string;
  audit?: AuditRecorder;
}

const notFound = () => new RestError(404, ErrorCode.NOT_FOUND, "No such file.");

/** The decoded, validated segments of the path after /files/, or a 404. */
function segmentsOf(pathname: string): string[] {
  const segments = pathname.slice(filesRoutePrefix.length).split("/");
  return segments.map((raw) => {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      throw notFound();
    }
    if (!segment || segment.startsWith(".") || /[\\/\0]/.test(segment)) throw notFound();
    return segment;
  });
}

export function createFilesRoute(deps: FilesRouteDependencies): RouteHandler {
  return async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    try {
      const segments = segmentsOf(url.pathname);
      const [area] = segments;
      let owner: { identity: Identity; jobId: string } | null = null;
      if (area === "uploads" || area === "reports") {
        // Owned by the job the file is named after.
        const jobId = segments.length === 2 ? segments[1]!.replace(/\.[^.]*$/, "") : "";
        const identity = await optionalRestIdentity(req, deps.internalSecret);
        if (!identity || !isUuid(jobId)) throw notFound();
        if (!isAdmin(identity)) {
          const job = await deps.jobs.find(jobId.toLowerCase());
          if (!job || job.requestedBy !== identity.userId) throw notFound();
        }
        owner = { identity, jobId: jobId.toLowerCase() };
      } else if (area !== "images") {
        throw notFound();
      }

      let path: string;
      try {
        const root = await realpath(deps.storageDir);
        path = await realpath(resolveStoragePath(root, segments.join("/")));
        if (!path.startsWith(root + sep)) throw notFound();
      } catch {
        throw notFound();
      }
      const info = await stat(path);
      if (!info.isFile()) throw notFound();
      res.writeHead(200, {
        "content-type": contentTypeFor(path),
        "content-length": String(info.size),
        "x-content-type-options": "nosniff",
        "cache-control": area === "images" ? "public, max-age=3600" : "private, no-store",
        "last-modified": info.mtime.toUTCString(),
      });
      if (area === "reports" && owner) {
        const { clientIp, requestId } = originOfRequest(req, deps.internalSecret);
        deps.audit?.record({
          action: "REPORT_DOWNLOAD",
          outcome: "SUCCESS",
          actorId: owner.identity.userId,
          actorRole: owner.identity.role,
          clientIp,
          requestId,
          targetType: "JOB",
          targetId: owner.jobId,
          details: { file: segments.join("/"), bytes: info.size },
        });
      }
      await pipeline(createReadStream(path), res);
    } catch (error) {
      if (error instanceof RestError) return sendRestError(res, error);
      throw error;
    }
  };
}
