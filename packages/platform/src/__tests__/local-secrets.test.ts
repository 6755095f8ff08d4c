import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { accessTokenEnv } from "../access-token.js";
import { commonEnv, devSecret, loadConfig } from "../config.js";
import { ensureLocalSecrets } from "../local-secrets.js";

const productionShape = { ...commonEnv, ...accessTokenEnv };

describe("local secrets for pnpm start", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "agora-secrets-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("generates random secrets on first call into an owner-only file, and reuses them afterwards", () => {
    const secretsDir = join(dir, ".agora");
    const first = ensureLocalSecrets({ dir: secretsDir, env: {} });
    expect(first.generated).toEqual(["INTERNAL_SECRET", "JWT_SECRET"]);
    expect(first.values.JWT_SECRET).not.toBe(devSecret);
    expect(first.values.JWT_SECRET).not.toBe(first.values.INTERNAL_SECRET);
    expect(first.values.JWT_SECRET.length).toBeGreaterThanOrEqual(32);
    expect(statSync(first.path).mode & 0o777).toBe(0o600);
    expect(statSync(secretsDir).mode & 0o077).toBe(0);
    expect(readFileSync(first.path, "utf8")).toContain(`JWT_SECRET=${first.values.JWT_SECRET}\n`);

    const second = ensureLocalSecrets({ dir: secretsDir, env: {} });
    expect(second.generated).toEqual([]);
    expect(second.values).toEqual(first.values);
  });

  it("lets the environment win without writing its value to the file", () => {
    const own = "my-own-jwt-secret-from-the-environment-0123";
    const result = ensureLocalSecrets({ dir, env: { JWT_SECRET: own } });
    expect(result.values.JWT_SECRET).toBe(own);
    expect(result.fromEnvironment).toEqual(["JWT_SECRET"]);
    expect(result.generated).toEqual(["INTERNAL_SECRET"]);
    expect(readFileSync(result.path, "utf8")).not.toContain(own);
    // Unset again, the file's value is used; nothing new is generated for the one still in the environment.
    expect(ensureLocalSecrets({ dir, env: {} }).generated).toEqual(["JWT_SECRET"]);
  });

  it("replaces a stored value that is the public default or too short", () => {
    writeFileSync(join(dir, "secrets.env"), `INTERNAL_SECRET=${devSecret}\nJWT_SECRET=short\n`, { mode: 0o600 });
    const result = ensureLocalSecrets({ dir, env: {} });
    expect(result.generated).toEqual(["INTERNAL_SECRET", "JWT_SECRET"]);
    expect(readFileSync(result.path, "utf8")).not.toContain(devSecret);
  });

  it("refuses the public default or a short secret set in the environment, naming the variable", () => {
    expect(() => ensureLocalSecrets({ dir, env: { INTERNAL_SECRET: devSecret } })).toThrow(
      /INTERNAL_SECRET is set to the public development default/,
    );
    expect(() => ensureLocalSecrets({ dir, env: { JWT_SECRET: "too-short" } })).toThrow(/JWT_SECRET must be at least 32 characters/);
  });

  it("gives values production accepts", () => {
    const { values } = ensureLocalSecrets({ dir, env: {} });
    expect(() => loadConfig(productionShape, { NODE_ENV: "production", ...values })).not.toThrow();
  });
});

describe("secrets in production", () => {
  const strong = { INTERNAL_SECRET: "Qm3v9Zr7Lx2Tb8Nw4Hc6Jp1Ks5Dg0Fy-internal", JWT_SECRET: "Wq8e2Rt6Yu4Io0Pa3Sd7Fg1Hj5Kl9Zx-access" };

  it("refuses the development defaults, naming each variable", () => {
    expect(() => loadConfig(productionShape, { NODE_ENV: "production" })).toThrow(
      /INTERNAL_SECRET must be set to a secret of your own in production[\s\S]*JWT_SECRET must be set to a secret of your own/,
    );
    expect(() => loadConfig(productionShape, { NODE_ENV: "production", ...strong, JWT_SECRET: devSecret })).toThrow(
      /JWT_SECRET must be set/,
    );
  });

  it("refuses short, low-variety and shared secrets", () => {
    expect(() => loadConfig(productionShape, { NODE_ENV: "production", ...strong, JWT_SECRET: "x".repeat(20) })).toThrow(
      /JWT_SECRET: must be at least 32 characters/,
    );
    expect(() => loadConfig(productionShape, { NODE_ENV: "production", ...strong, INTERNAL_SECRET: "ab".repeat(20) })).toThrow(
      /INTERNAL_SECRET is too weak: it uses only 2 distinct characters/,
    );
    expect(() => loadConfig(productionShape, { NODE_ENV: "production", ...strong, JWT_SECRET: strong.INTERNAL_SECRET })).toThrow(
      /INTERNAL_SECRET and JWT_SECRET must be different secrets/,
    );
  });

  it("accepts strong secrets, and development keeps its defaults", () => {
    expect(loadConfig(productionShape, { NODE_ENV: "production", ...strong }).JWT_SECRET).toBe(strong.JWT_SECRET);
    expect(loadConfig(productionShape, {}).INTERNAL_SECRET).toBe(devSecret);
  });
});
