/** Small input checks shared by resolvers; each throws BAD_USER_INPUT naming the field. */
import { badUserInput } from "./errors.js";

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function requireUuid(value: string, field = "id"): string {
  if (!uuidPattern.test(value)) throw badUserInput(`"${field}" is not a valid id: ${JSON.stringify(value.slice(0, 60))}.`, field);
  return value.toLowerCase();
}

export const isUuid = (value: string) => uuidPattern.test(value);

export function requireText(value: string, field: string, { min = 1, max }: { min?: number; max: number }): string {
  const trimmed = value.trim();
  if (trimmed.length < min)
    throw badUserInput(min <= 1 ? `"${field}" must not be empty.` : `"${field}" must be at least ${min} characters.`, field);
  if (trimmed.length > max) throw badUserInput(`"${field}" must be at most ${max} characters (got ${trimmed.length}).`, field);
  return trimmed;
}
