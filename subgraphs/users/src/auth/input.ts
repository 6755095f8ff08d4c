/** Checks for account input. Each throws BAD_USER_INPUT naming the field; nothing is written before they pass. */
import { badUserInput, requireText } from "@agora/platform";

export const emailMaxLength = 254;
export const passwordMinLength = 8;
export const passwordMaxLength = 200;
export const displayNameMaxLength = 60;

// Deliberately loose: one @, no whitespace, a dot in the domain. Deliverability is not checked here.
const emailPattern = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

/** Trimmed and lower-cased, so Alice@Example.com and alice@example.com are one account. */
export function normalizeEmail(value: string): string {
  return value.trim().toLowerCase();
}

export function requireEmail(value: string, field = "email"): string {
  const email = normalizeEmail(value);
  if (email.length > emailMaxLength)
    throw badUserInput(`"${field}" must be at most ${emailMaxLength} characters (got ${email.length}).`, field);
  if (!emailPattern.test(email)) throw badUserInput(`"${field}" must be an email address like name@example.com.`, field);
  return email;
}

/** Passwords are taken as typed (no trimming): spaces may be part of them. */
export function requirePassword(value: string, field = "password"): string {
  if (value.length < passwordMinLength) throw badUserInput(`"${field}" must be at least ${passwordMinLength} characters.`, field);
  if (value.length > passwordMaxLength) throw badUserInput(`"${field}" must be at most ${passwordMaxLength} characters.`, field);
  return value;
}

export function requireDisplayName(value: string, field = "displayName"): string {
  return requireText(value, field, { max: displayNameMaxLength });
}
