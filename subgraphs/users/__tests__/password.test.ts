import { hashPassword, needsRehash, verifyAgainstDummy, verifyPassword } from "../src/auth/password.js";

describe("password hashing", () => {
  it("stores scrypt$N$r$p$salt$hash with a fresh salt each time", async () => {
    const [a, b] = await Promise.all([hashPassword("same password"), hashPassword("same password")]);
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
  });

  it("verifies the right password and refuses others", async () => {
    const stored = await hashPassword("tr0ub4dor&3");
    expect(await verifyPassword("tr0ub4dor&3", stored)).toBe(true);
    expect(await verifyPassword("tr0ub4dor&4", stored)).toBe(false);
    expect(await verifyPassword("", stored)).toBe(false);
  });

  it("verifies hashes made with other parameters and says they need a rehash", async () => {
    const cheap = await hashPassword("old hash", { N: 1024, r: 8, p: 1 });
    expect(cheap.startsWith("scrypt$1024$8$1$")).toBe(true);
    expect(await verifyPassword("old hash", cheap)).toBe(true);
    expect(needsRehash(cheap)).toBe(true);
    expect(needsRehash(await hashPassword("current"))).toBe(false);
  });

  it("refuses malformed or absurd stored hashes instead of throwing", async () => {
    for (const stored of [
      "",
      "plain",
      "bcrypt$2b$10$abc",
      "scrypt$3$8$1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
      "scrypt$4294967296$8$1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
    ]) {
      expect(await verifyPassword("anything", stored)).toBe(false);
    }
  });

  it("the dummy verification never matches", async () => {
    expect(await verifyAgainstDummy("agora-dummy-password-never-matches")).toBe(false);
  });
});
