/**
 * The audit log as the users subgraph reads it: through @agora/platform/audit, the owner of
 * audit.events (users only reads it; every service writes through its recorder).
 */
import type { Connection } from "@agora/platform";
import type { StoredAuditEvent } from "@agora/platform/audit";

export type AuditEventRecord = StoredAuditEvent;
export type AuditEventConnectionRecord = Connection<AuditEventRecord>;
