/**
 * House-keeping, run hourly by a BullMQ job scheduler (and on demand as a MAINTENANCE job with
 * `{ task?: "cleanup" | "cleanup-uploads" | "cleanup-refresh-tokens" | "prune-audit-log" }`):
 * - uploads older than UPLOAD_ORPHAN_AGE_MS whose job is gone or COMPLETED (completed jobs delete
 *   their upload themselves; this catches crashes). FAILED and CANCELLED jobs keep theirs, since
 *   `retryJob` needs the file: an upload lives as long as a retry is possible;
 * - refresh tokens that expired more than a day ago (through the users package, owner of
 *   users.refresh_tokens; it never accepts them, this only keeps the table small);
 * - security audit events older than AUDIT_RETENTION_DAYS, through audit.prune() (the only way rows
 *   leave that append-only table; it keeps at least 30 days whoever asks).
 */
import { readdir, rm, stat } from "node:fs/promises";
import { isUuid } from "@agora/platform";
import { pruneAuditEvents } from "@agora/platform/audit";
import { resolveStoragePath, storagePaths } from "@agora/platform/storage";
import { deleteRefreshTokensExpiredBefore } from "@agora/users/refresh-tokens";
import { z } from "zod";
import type { WorkerDeps } from "../deps.js";
import type { JobHandler } from "../platform-job.js";
import { parseInput } from "./input.js";

export interface UploadCleanup {
  scanned: number;
  deleted: number;
}

export async function cleanUpOrphanedUploads(deps: WorkerDeps, now = Date.now()): Promise<UploadCleanup> {
  const dir = resolveStoragePath(deps.config.STORAGE_DIR, storagePaths.uploadsDir);
  const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return [] as string[];
    throw error;
  });
  const old: { name: string; jobId: string | null }[] = [];
  for (const name of names) {
    const info = await stat(`${dir}/${name}`).catch(() => null);
    if (!info?.isFile() || now - info.mtimeMs < deps.config.UPLOAD_ORPHAN_AGE_MS) continue;
    const base = name.replace(/^\./, "").split(".")[0] ?? "";
    old.push({ name, jobId: isUuid(base) ? base : null });
  }
  const ids = old.map((file) => file.jobId).filter((id): id is string => id !== null);
  const live = new Set<string>();
  for (let i = 0; i < ids.length; i += 1000) {
    for (const id of await deps.jobs.findMayRunAgain(ids.slice(i, i + 1000))) live.add(id);
  }
  let deleted = 0;
  for (const file of old) {
    if (file.jobId && live.has(file.jobId)) continue;
    await rm(`${dir}/${file.name}`, { force: true });
    deleted += 1;
  }
  return { scanned: names.length, deleted };
}

export async function cleanUpRefreshTokens(deps: WorkerDeps): Promise<{ deleted: number }> {
  // A day of grace keeps the rows behind a reuse or expiry answer a little longer for support questions.
  return { deleted: await deleteRefreshTokensExpiredBefore(deps.prisma, new Date(Date.now() - 86_400_000)) };
}

export async function pruneAuditLog(deps: WorkerDeps): Promise<{ deleted: number; retentionDays: number }> {
  const retentionDays = deps.config.AUDIT_RETENTION_DAYS;
  return { deleted: await pruneAuditEvents(deps.prisma, retentionDays), retentionDays };
}

export async function runCleanup(deps: WorkerDeps, task: MaintenanceTask = "cleanup"): Promise<Record<string, unknown>> {
  const result: Record<string, unknown> = {};
  if (task === "cleanup" || task === "cleanup-uploads") result.uploads = await cleanUpOrphanedUploads(deps);
  if (task === "cleanup" || task === "cleanup-refresh-tokens") result.refreshTokens = await cleanUpRefreshTokens(deps);
  if (task === "cleanup" || task === "prune-audit-log") result.auditEvents = await pruneAuditLog(deps);
  return result;
}

const maintenanceTasks = ["cleanup", "cleanup-uploads", "cleanup-refresh-tokens", "prune-audit-log"] as const;
export type MaintenanceTask = (typeof maintenanceTasks)[number];
const maintenanceInput = z.object({ task: z.enum(maintenanceTasks).default("cleanup") });

export const maintenance: JobHandler = async (ctx) => {
  const { task } = parseInput(maintenanceInput, ctx.row.input);
  return { task, ...(await runCleanup(ctx.deps, task)) };
};
