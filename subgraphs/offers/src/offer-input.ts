/**
 * Validation of everything clients send to the offers subgraph. Each check throws BAD_USER_INPUT
 * naming the offending argument path (e.g. "input.price.amount"), before anything is written.
 */
import { Prisma } from "@agora/platform/database";
import { badUserInput, requireText, requireUuid } from "@agora/platform";
import { categories, isCategory } from "./categories.js";
import { currencies, isCurrency } from "./currencies.js";
import type { CreateOfferInput, MoneyInput, NearInput, UpdateOfferInput } from "./generated/graphql.js";

export const titleLength = { min: 3, max: 120 };
export const descriptionLength = { min: 1, max: 5000 };
export const maxTags = 10;
export const tagLength = { min: 1, max: 30 };
export const maxAmount = new Prisma.Decimal("9999999999.99");
export const maxRadiusKm = 20_000;

/** The columns a create or update writes, already validated and normalised. */
export interface OfferFields {
  title: string;
  description: string;
  priceAmount: Prisma.Decimal;
  currency: string;
  category: string;
  tags: string[];
  lat: number;
  lng: number;
}

const decimalPattern = /^\d+(\.\d{1,2})?$/;

/** A non-negative decimal string with at most two decimals, at most 9,999,999,999.99. */
export function parseAmount(value: string, field: string, { positive }: { positive: boolean }): Prisma.Decimal {
  const text = value.trim();
  if (!decimalPattern.test(text)) {
    throw badUserInput(
      `"${field}" must be a decimal number with at most two decimals, e.g. "129.90" (got ${JSON.stringify(value.slice(0, 40))}).`,
      field,
    );
  }
  const amount = new Prisma.Decimal(text);
  if (positive && amount.lte(0)) throw badUserInput(`"${field}" must be greater than 0.`, field);
  if (amount.gt(maxAmount)) throw badUserInput(`"${field}" must be at most ${maxAmount.toFixed(2)}.`, field);
  return amount;
}

function parseMoney(input: MoneyInput, field: string): { priceAmount: Prisma.Decimal; currency: string } {
  const priceAmount = parseAmount(input.amount, `${field}.amount`, { positive: true });
  const currency = input.currency.trim();
  if (!isCurrency(currency)) {
    throw badUserInput(
      `"${field}.currency" must be one of ${currencies.join(", ")} (upper-case), got ${JSON.stringify(input.currency.slice(0, 10))}.`,
      `${field}.currency`,
    );
  }
  return { priceAmount, currency };
}

export function requireCategory(value: string, field: string): string {
  const category = value.trim();
  if (!isCategory(category))
    throw badUserInput(`"${field}" must be one of ${categories.join(", ")}, got ${JSON.stringify(value.slice(0, 40))}.`, field);
  return category;
}

function parseTags(tags: readonly string[], field: string): string[] {
  if (tags.length > maxTags) throw badUserInput(`"${field}" may hold at most ${maxTags} tags (got ${tags.length}).`, field);
  const cleaned = tags.map((tag, i) => requireText(tag, `${field}[${i}]`, tagLength));
  return [...new Set(cleaned)];
}

export function requireLatitude(value: number, field: string): number {
  if (!Number.isFinite(value) || value < -90 || value > 90)
    throw badUserInput(`"${field}" must be between -90 and 90 (got ${value}).`, field);
  return value;
}

export function requireLongitude(value: number, field: string): number {
  if (!Number.isFinite(value) || value < -180 || value > 180)
    throw badUserInput(`"${field}" must be between -180 and 180 (got ${value}).`, field);
  return value;
}

function parseLocation(input: { lat: number; lng: number }, field: string) {
  return { lat: requireLatitude(input.lat, `${field}.lat`), lng: requireLongitude(input.lng, `${field}.lng`) };
}

export function parseCreateOfferInput(input: CreateOfferInput): OfferFields {
  return {
    title: requireText(input.title, "input.title", titleLength),
    description: requireText(input.description, "input.description", descriptionLength),
    ...parseMoney(input.price, "input.price"),
    category: requireCategory(input.category, "input.category"),
    tags: parseTags(input.tags ?? [], "input.tags"),
    ...parseLocation(input.location, "input.location"),
  };
}

/** Only the fields present in the input; an explicit null for a field is an error, not a reset. */
export function parseUpdateOfferInput(input: UpdateOfferInput): Partial<OfferFields> {
  const present = <K extends keyof UpdateOfferInput>(key: K): NonNullable<UpdateOfferInput[K]> | undefined => {
    const value = input[key];
    if (value === undefined) return undefined;
    if (value === null) throw badUserInput(`"input.${key}" cannot be null; leave it out to keep the current value.`, `input.${key}`);
    return value as NonNullable<UpdateOfferInput[K]>;
  };
  const fields: Partial<OfferFields> = {};
  const title = present("title");
  if (title !== undefined) fields.title = requireText(title, "input.title", titleLength);
  const description = present("description");
  if (description !== undefined) fields.description = requireText(description, "input.description", descriptionLength);
  const price = present("price");
  if (price !== undefined) Object.assign(fields, parseMoney(price, "input.price"));
  const category = present("category");
  if (category !== undefined) fields.category = requireCategory(category, "input.category");
  const tags = present("tags");
  if (tags !== undefined) fields.tags = parseTags(tags, "input.tags");
  const location = present("location");
  if (location !== undefined) Object.assign(fields, parseLocation(location, "input.location"));
  return fields;
}

/** priceMin/priceMax of a filter: non-negative decimals, min ≤ max. */
export function parsePriceRange(
  filter: { priceMin?: string | null; priceMax?: string | null },
  field: string,
): { priceMin: Prisma.Decimal | null; priceMax: Prisma.Decimal | null } {
  const priceMin = filter.priceMin == null ? null : parseAmount(filter.priceMin, `${field}.priceMin`, { positive: false });
  const priceMax = filter.priceMax == null ? null : parseAmount(filter.priceMax, `${field}.priceMax`, { positive: false });
  if (priceMin && priceMax && priceMin.gt(priceMax)) {
    throw badUserInput(
      `"${field}.priceMin" (${priceMin.toFixed(2)}) must not be greater than "${field}.priceMax" (${priceMax.toFixed(2)}).`,
      `${field}.priceMin`,
    );
  }
  return { priceMin, priceMax };
}

export function parseNear(near: NearInput, field: string): NearInput {
  requireLatitude(near.lat, `${field}.lat`);
  requireLongitude(near.lng, `${field}.lng`);
  if (!Number.isFinite(near.radiusKm) || near.radiusKm <= 0 || near.radiusKm > maxRadiusKm) {
    throw badUserInput(
      `"${field}.radiusKm" must be greater than 0 and at most ${maxRadiusKm} (got ${near.radiusKm}).`,
      `${field}.radiusKm`,
    );
  }
  return { lat: near.lat, lng: near.lng, radiusKm: near.radiusKm };
}

export const optionalUuid = (value: string | null | undefined, field: string) => (value == null ? null : requireUuid(value, field));
