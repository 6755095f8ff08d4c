/** Data access for users.users. Reads never select the password hash except `findCredentialsByEmail`. */
import { afterKeyWhere, newestFirst, type Connection, type Page } from "@agora/platform";
import { Prisma, queryRows, type Db, type PrismaClient } from "@agora/platform/database";

type Client = PrismaClient | Prisma.TransactionClient;

export const userSelect = { id: true, email: true, displayName: true, role: true, createdAt: true } satisfies Prisma.UserSelect;

/** The value User resolvers receive (see src/mappers.json). */
export type UserRecord = Pick<Db.User, "id" | "email" | "displayName" | "role" | "createdAt">;
export type UserConnectionRecord = Connection<UserRecord>;

export type Credentials = UserRecord & { passwordHash: string };

// Every federated query resolves its sellers and authors here: a plain prepared statement (see queryRows).
const usersByIds = {
  name: "users.users_by_ids",
  text: `SELECT id::text AS id, email, display_name AS "displayName", role::text AS role, created_at AS "createdAt"
    FROM users.users WHERE id = ANY($1::uuid[])`,
};

export function findUsersByIds(db: Client, ids: readonly string[]): Promise<UserRecord[]> {
  return queryRows<UserRecord>(db, usersByIds, [ids]);
}

export function findUserById(db: Client, id: string): Promise<UserRecord | null> {
  return db.user.findUnique({ where: { id }, select: userSelect });
}

export function findCredentialsByEmail(db: Client, email: string): Promise<Credentials | null> {
  return db.user.findUnique({ where: { email }, select: { ...userSelect, passwordHash: true } });
}

/** Throws Prisma's P2002 when the email is taken; the caller turns it into CONFLICT. */
export function insertUser(db: Client, data: { email: string; displayName: string; passwordHash: string }): Promise<UserRecord> {
  return db.user.create({ data: { ...data, role: "USER" }, select: userSelect });
}

export async function updatePasswordHash(db: Client, id: string, passwordHash: string): Promise<void> {
  await db.user.updateMany({ where: { id }, data: { passwordHash } });
}

/** Null when the user does not exist. */
export async function updateDisplayName(db: PrismaClient, id: string, displayName: string): Promise<UserRecord | null> {
  const { count } = await db.user.updateMany({ where: { id }, data: { displayName } });
  return count === 1 ? findUserById(db, id) : null;
}

/** One page, newest first; fetches `first + 1` rows so the caller knows whether a next page exists. */
export function findUserPage(db: Client, page: Page): Promise<UserRecord[]> {
  return db.user.findMany({ where: afterKeyWhere(page.after), orderBy: newestFirst, take: page.first + 1, select: userSelect });
}

export function countUsers(db: Client): Promise<number> {
  return db.user.count();
}

export const isUniqueViolation = (error: unknown): boolean =>
  error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002";

/** Sets a user's role in one transaction; returns the role it had before and the user after, null when there is no such user. */
export async function updateRole(db: PrismaClient, id: string, role: Db.Role): Promise<{ previousRole: Db.Role; user: UserRecord } | null> {
  return db.$transaction(async (tx) => {
    // FOR UPDATE: a concurrent change waits, so `previousRole` is the role this change replaced.
    const [row] = await tx.$queryRaw<{ role: Db.Role }[]>`SELECT role FROM "users"."users" WHERE id = ${id}::uuid FOR UPDATE`;
    if (!row) return null;
    const user = await tx.user.update({ where: { id }, data: { role }, select: userSelect });
    return { previousRole: row.role, user };
  });
}
