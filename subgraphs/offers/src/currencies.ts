/** ISO 4217 codes an offer may be priced in (upper-case). */
export const currencies = [
  "EUR",
  "USD",
  "GBP",
  "CHF",
  "PLN",
  "SEK",
  "NOK",
  "DKK",
  "CZK",
  "HUF",
  "RON",
  "BGN",
  "ISK",
  "JPY",
  "CAD",
  "AUD",
] as const;

export type Currency = (typeof currencies)[number];

export const isCurrency = (value: string): value is Currency => (currencies as readonly string[]).includes(value);
