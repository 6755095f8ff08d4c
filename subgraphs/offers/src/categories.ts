/** The fixed list of offer categories; `Offer.category` is always one of these. */
export const categories = [
  "electronics",
  "furniture",
  "clothing",
  "books",
  "sports",
  "toys",
  "garden",
  "vehicles",
  "music",
  "services",
  "home",
  "collectibles",
] as const;

export type Category = (typeof categories)[number];

export const isCategory = (value: string): value is Category => (categories as readonly string[]).includes(value);
