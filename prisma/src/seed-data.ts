/**
 * Deterministic demo data: the same seed always gives the same users, offers and reviews (ids
 * included), so demo links and bench runs are repeatable. Rows are written with createMany in
 * batches; Offer.rating aggregates are computed from the inserted reviews in one statement.
 */
import type { PrismaClient } from "@agora/platform/database";
import { categories } from "@agora/offers/categories";

export interface SeedOptions {
  users: number;
  offers: number;
  reviewsPerOffer: number;
  /** Precomputed password hash used for every demo account (hashing 1,000 times would dominate). */
  passwordHash: string;
  seed?: number;
  onProgress?: (step: string, done: number, total: number) => void;
}

export const demoPassword = "agora-demo-password";
export const demoAccounts = [
  { email: "admin@agora.test", displayName: "Ada Admin", role: "ADMIN" as const },
  { email: "moderator@agora.test", displayName: "Max Moderator", role: "MODERATOR" as const },
  { email: "alice@agora.test", displayName: "Alice Seller", role: "USER" as const },
  { email: "bob@agora.test", displayName: "Bob Buyer", role: "USER" as const },
];

/** The offers subgraph's own list, so seeded offers always validate. */
export const seedCategories = categories;

const firstNames = [
  "Anna",
  "Ben",
  "Chloé",
  "Dario",
  "Elif",
  "Finn",
  "Greta",
  "Hugo",
  "Ines",
  "Jonas",
  "Kaja",
  "Lars",
  "Mila",
  "Noah",
  "Olga",
  "Pia",
  "Quentin",
  "Rosa",
  "Sven",
  "Tara",
  "Umut",
  "Vera",
  "Wim",
  "Yara",
  "Zoe",
];
const lastNames = [
  "Berg",
  "Costa",
  "Dubois",
  "Eriksen",
  "Fischer",
  "García",
  "Horvat",
  "Ivanova",
  "Jansen",
  "Kowalski",
  "Larsen",
  "Moreau",
  "Novak",
  "Olsen",
  "Petrov",
  "Rossi",
  "Schmidt",
  "Torres",
  "Varga",
  "Weber",
];
const cities = [
  { name: "Berlin", lat: 52.52, lng: 13.405 },
  { name: "Paris", lat: 48.8566, lng: 2.3522 },
  { name: "Madrid", lat: 40.4168, lng: -3.7038 },
  { name: "Rome", lat: 41.9028, lng: 12.4964 },
  { name: "Amsterdam", lat: 52.3676, lng: 4.9041 },
  { name: "Vienna", lat: 48.2082, lng: 16.3738 },
  { name: "Warsaw", lat: 52.2297, lng: 21.0122 },
  { name: "Lisbon", lat: 38.7223, lng: -9.1393 },
  { name: "Stockholm", lat: 59.3293, lng: 18.0686 },
  { name: "Prague", lat: 50.0755, lng: 14.4378 },
];
const itemsByCategory: Record<(typeof seedCategories)[number], { items: string[]; price: [number, number] }> = {
  electronics: {
    items: ["laptop", "smartphone", "headphones", "monitor", "camera", "tablet", "game console", "e-reader"],
    price: [40, 1800],
  },
  furniture: { items: ["oak table", "office chair", "bookshelf", "sofa", "wardrobe", "desk", "armchair"], price: [25, 1200] },
  clothing: { items: ["winter jacket", "leather boots", "wool sweater", "rain coat", "denim jeans", "sneakers"], price: [8, 300] },
  books: { items: ["cookbook", "novel collection", "atlas", "comic set", "textbook", "poetry anthology"], price: [3, 80] },
  sports: { items: ["road bike", "tennis racket", "yoga mat", "ski set", "running shoes", "kayak"], price: [10, 2000] },
  toys: { items: ["lego set", "wooden train", "puzzle", "doll house", "board game", "rc car"], price: [5, 250] },
  garden: { items: ["lawn mower", "garden hose", "planter", "hedge trimmer", "patio set"], price: [10, 900] },
  vehicles: { items: ["city bike", "scooter", "car roof box", "e-bike", "motorbike helmet"], price: [30, 6000] },
  music: { items: ["acoustic guitar", "keyboard", "violin", "drum kit", "turntable", "amplifier"], price: [40, 2500] },
  services: { items: ["moving help", "piano lessons", "bike repair", "tutoring", "dog walking", "tax advice"], price: [15, 400] },
  home: { items: ["coffee machine", "vacuum cleaner", "lamp", "rug", "mirror", "kitchen knives"], price: [8, 700] },
  collectibles: { items: ["vintage stamps", "vinyl records", "coin set", "trading cards", "antique clock"], price: [5, 3000] },
};
const adjectives = [
  "barely used",
  "like new",
  "well kept",
  "vintage",
  "refurbished",
  "handmade",
  "compact",
  "sturdy",
  "classic",
  "premium",
];
const reviewBodies = [
  "Exactly as described, quick handover.",
  "Great seller, friendly and on time.",
  "Item was fine but pickup took a while.",
  "Good value for the price.",
  "Not quite as pictured, still okay.",
  "Excellent condition, would buy again.",
  "Communication could have been better.",
  "Very happy with this purchase!",
  "Some scratches that were not mentioned.",
  "Smooth and easy, thanks a lot.",
];

/** mulberry32: a small, fast, seedable PRNG. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function seedDatabase(
  prisma: PrismaClient,
  options: SeedOptions,
): Promise<{ users: number; offers: number; reviews: number }> {
  const random = prng(options.seed ?? 42);
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const uuid = () => {
    const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16));
    hex[12] = "4";
    hex[16] = ((Math.floor(random() * 4) + 8) as number).toString(16);
    const s = hex.join("");
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  };
  const base = Date.UTC(2026, 9, 1);
  const daysAgo = (max: number) => new Date(base - Math.floor(random() * max * 86_400_000));
  const progress = options.onProgress ?? (() => {});
  const batch = 2000;

  const users = Array.from({ length: options.users }, (_, i) => {
    const demo = demoAccounts[i];
    const first = pick(firstNames);
    const last = pick(lastNames);
    return {
      id: uuid(),
      email:
        demo?.email ??
        `${first}.${last}.${i}@example.test`
          .toLowerCase()
          .normalize("NFD")
          .replace(/[\u0300-\u036f]/g, ""),
      displayName: demo?.displayName ?? `${first} ${last}`,
      role: demo?.role ?? ("USER" as const),
      passwordHash: options.passwordHash,
      createdAt: daysAgo(400),
    };
  });
  for (let i = 0; i < users.length; i += batch) {
    await prisma.user.createMany({ data: users.slice(i, i + batch) });
    progress("users", Math.min(i + batch, users.length), users.length);
  }

  const offers = Array.from({ length: options.offers }, () => {
    const category = pick(seedCategories);
    const { items, price } = itemsByCategory[category];
    const item = pick(items);
    const adjective = pick(adjectives);
    const city = pick(cities);
    const amount = (price[0] + random() * (price[1] - price[0])).toFixed(2);
    const createdAt = daysAgo(180);
    const roll = random();
    return {
      id: uuid(),
      sellerId: pick(users).id,
      title: `${adjective[0]?.toUpperCase()}${adjective.slice(1)} ${item} in ${city.name}`,
      description: `Selling my ${adjective} ${item}. Pick-up in ${city.name} or shipping on request. ${pick(["Smoke-free home.", "Original receipt included.", "Price negotiable.", "Cash or bank transfer.", "Can deliver nearby."])}`,
      priceAmount: amount,
      currency: pick(["EUR", "EUR", "EUR", "PLN", "SEK", "CZK"]),
      category,
      tags: [category, item.split(" ").at(-1) ?? item, adjective.split(" ")[0] ?? adjective].slice(0, int(1, 3)),
      lat: Number((city.lat + (random() - 0.5) * 0.2).toFixed(5)),
      lng: Number((city.lng + (random() - 0.5) * 0.2).toFixed(5)),
      status: roll < 0.9 ? ("ACTIVE" as const) : roll < 0.96 ? ("DRAFT" as const) : ("ARCHIVED" as const),
      createdAt,
      updatedAt: createdAt,
    };
  });
  for (let i = 0; i < offers.length; i += batch) {
    await prisma.offer.createMany({ data: offers.slice(i, i + batch) });
    progress("offers", Math.min(i + batch, offers.length), offers.length);
  }

  const reviews: {
    id: string;
    offerId: string;
    authorId: string;
    rating: number;
    body: string;
    moderationStatus: "APPROVED";
    sentiment: number;
    createdAt: Date;
    updatedAt: Date;
  }[] = [];
  for (const offer of offers) {
    const authors = new Set<string>();
    while (authors.size < Math.min(options.reviewsPerOffer, users.length - 1)) {
      const author = pick(users).id;
      if (author !== offer.sellerId) authors.add(author);
    }
    for (const authorId of authors) {
      const r = random();
      const rating = r < 0.05 ? 1 : r < 0.12 ? 2 : r < 0.3 ? 3 : r < 0.62 ? 4 : 5;
      const createdAt = new Date(offer.createdAt.getTime() + Math.floor(random() * 20 * 86_400_000));
      reviews.push({
        id: uuid(),
        offerId: offer.id,
        authorId,
        rating,
        body: pick(reviewBodies),
        moderationStatus: "APPROVED",
        sentiment: Number(((rating - 3) / 2).toFixed(2)),
        createdAt,
        updatedAt: createdAt,
      });
    }
  }
  for (let i = 0; i < reviews.length; i += batch) {
    await prisma.review.createMany({ data: reviews.slice(i, i + batch) });
    progress("reviews", Math.min(i + batch, reviews.length), reviews.length);
  }
  await prisma.$executeRawUnsafe(`
    INSERT INTO reviews.offer_ratings (offer_id, count, sum, stars_1, stars_2, stars_3, stars_4, stars_5, updated_at)
    SELECT offer_id, count(*), sum(rating),
           count(*) FILTER (WHERE rating = 1), count(*) FILTER (WHERE rating = 2), count(*) FILTER (WHERE rating = 3),
           count(*) FILTER (WHERE rating = 4), count(*) FILTER (WHERE rating = 5), now()
    FROM reviews.reviews WHERE moderation_status <> 'REJECTED' GROUP BY offer_id
    ON CONFLICT (offer_id) DO UPDATE SET count = EXCLUDED.count, sum = EXCLUDED.sum, stars_1 = EXCLUDED.stars_1,
      stars_2 = EXCLUDED.stars_2, stars_3 = EXCLUDED.stars_3, stars_4 = EXCLUDED.stars_4, stars_5 = EXCLUDED.stars_5, updated_at = now()`);
  progress("ratings", offers.length, offers.length);
  return { users: users.length, offers: offers.length, reviews: reviews.length };
}
