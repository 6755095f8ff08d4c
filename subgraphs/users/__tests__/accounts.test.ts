import { verifyAccessToken } from "@agora/platform";
import { auth, codes, loginMutation, registerMutation, startUsers, type UsersHarness } from "./harness.js";

let users: UsersHarness;
beforeAll(async () => {
  users = await startUsers("accounts");
});
afterAll(async () => {
  await users.stop();
});

const register = (input: Record<string, unknown>) => users.request(registerMutation, { input });
const userCount = () => users.db.primary.user.count();

describe("register, login, me", () => {
  it("registers a USER, returns a working session, and stores only a scrypt hash", async () => {
    const result = await register({ email: "  Alice@Example.COM ", password: "correct horse battery", displayName: "  Alice  " });
    expect(result.errors).toBeUndefined();
    const payload = result.data!.register;
    expect(payload.user).toMatchObject({ email: "alice@example.com", displayName: "Alice", role: "USER" });
    expect(payload.expiresIn).toBe(900);
    expect(payload.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const identity = await verifyAccessToken(payload.accessToken, auth.accessToken);
    expect(identity).toEqual({ userId: payload.user.id, role: "USER" });

    const row = await users.db.primary.user.findUniqueOrThrow({ where: { id: payload.user.id } });
    expect(row.passwordHash).toMatch(/^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
    expect(row.passwordHash).not.toContain("correct horse");
    const tokens = await users.db.primary.refreshToken.findMany({ where: { userId: payload.user.id } });
    expect(tokens).toHaveLength(1);
    expect(tokens[0]!.tokenHash).not.toBe(payload.refreshToken);

    const me = await users.request("{ me { id email displayName role } }", {}, identity);
    expect(me.data!.me).toEqual({ id: payload.user.id, email: "alice@example.com", displayName: "Alice", role: "USER" });
  });

  it("logs in with any casing of the email and issues a new session family", async () => {
    const registered = await register({ email: "bob@example.com", password: "bob-password-1", displayName: "Bob" });
    const result = await users.request(loginMutation, { email: " BOB@example.com", password: "bob-password-1" });
    expect(result.errors).toBeUndefined();
    expect(result.data!.login.user.id).toBe(registered.data!.register.user.id);
    expect(result.data!.login.refreshToken).not.toBe(registered.data!.register.refreshToken);
    const families = await users.db.primary.refreshToken.groupBy({ by: ["familyId"], where: { userId: result.data!.login.user.id } });
    expect(families).toHaveLength(2);
  });

  it("answers a wrong password and an unknown email the same way", async () => {
    await register({ email: "carol@example.com", password: "carol-password", displayName: "Carol" });
    const wrongPassword = await users.request(loginMutation, { email: "carol@example.com", password: "not-her-password" });
    const unknownEmail = await users.request(loginMutation, { email: "nobody@example.com", password: "carol-password" });
    for (const response of [wrongPassword, unknownEmail]) {
      expect(response.data).toBeNull();
      expect(response.errors).toHaveLength(1);
      expect(response.errors![0]).toMatchObject({ message: "email or password is incorrect", extensions: { code: "UNAUTHENTICATED" } });
    }
  });

  it("me is null when anonymous", async () => {
    const result = await users.request("{ me { id } }");
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ me: null });
  });
});

describe("validation", () => {
  const valid = { email: "valid@example.com", password: "long-enough-password", displayName: "Valid" };
  const cases: [string, Record<string, unknown>, string][] = [
    ["an email without @", { email: "not-an-email" }, "email"],
    ["an email without a domain dot", { email: "someone@localhost" }, "email"],
    ["an email with spaces inside", { email: "some one@example.com" }, "email"],
    ["an email over 254 characters", { email: `${"a".repeat(250)}@example.com` }, "email"],
    ["a password under 8 characters", { password: "short" }, "password"],
    ["a password over 200 characters", { password: "p".repeat(201) }, "password"],
    ["an empty displayName", { displayName: "" }, "displayName"],
    ["a displayName of spaces", { displayName: "    " }, "displayName"],
    ["a displayName over 60 characters", { displayName: "d".repeat(61) }, "displayName"],
  ];

  it.each(cases)("refuses %s with BAD_USER_INPUT naming the field and creates nothing", async (_label, override, field) => {
    const before = await userCount();
    const result = await register({ ...valid, ...override });
    expect(result.data).toBeNull();
    expect(codes(result)).toEqual(["BAD_USER_INPUT"]);
    expect(result.errors![0]!.message).toContain(`"${field}"`);
    expect(result.errors![0]!.extensions!.field).toBe(field);
    expect(await userCount()).toBe(before);
    expect(await users.db.primary.user.count({ where: { email: "valid@example.com" } })).toBe(0);
  });

  it("accepts the boundaries: 8 and 200 character passwords, 60 character names", async () => {
    const short = await register({ email: "eight@example.com", password: "12345678", displayName: "n".repeat(60) });
    const long = await register({ email: "two-hundred@example.com", password: "p".repeat(200), displayName: "x" });
    expect(short.errors).toBeUndefined();
    expect(long.errors).toBeUndefined();
  });
});

describe("duplicate email", () => {
  it("answers CONFLICT for an email that is taken in any casing, and writes nothing", async () => {
    await register({ email: "dora@example.com", password: "dora-password", displayName: "Dora" });
    const before = await userCount();
    const tokensBefore = await users.db.primary.refreshToken.count();
    const result = await register({ email: "DORA@example.com", password: "another-password", displayName: "Other Dora" });
    expect(result.data).toBeNull();
    expect(codes(result)).toEqual(["CONFLICT"]);
    expect(result.errors![0]!.message).toBe("an account with this email already exists");
    expect(await userCount()).toBe(before);
    expect(await users.db.primary.refreshToken.count()).toBe(tokensBefore);
  });

  it("lets exactly one of two concurrent registrations with one email succeed", async () => {
    const input = { email: "race@example.com", password: "race-password", displayName: "Racer" };
    const results = await Promise.all([register(input), register(input)]);
    expect(results.map((r) => (r.errors ? codes(r)[0] : "OK")).sort()).toEqual(["CONFLICT", "OK"]);
    expect(await users.db.primary.user.count({ where: { email: "race@example.com" } })).toBe(1);
  });
});

describe("updateProfile", () => {
  const mutation = "mutation Update($input: UpdateProfileInput!) { updateProfile(input: $input) { id displayName email } }";

  it("changes the signed-in user's displayName", async () => {
    const me = await users.createUser({ email: "erin@example.com", displayName: "Erin" });
    const result = await users.request(mutation, { input: { displayName: "  Erin B.  " } }, me);
    expect(result.errors).toBeUndefined();
    expect(result.data!.updateProfile).toEqual({ id: me.userId, displayName: "Erin B.", email: "erin@example.com" });
    const row = await users.db.primary.user.findUniqueOrThrow({ where: { id: me.userId } });
    expect(row.displayName).toBe("Erin B.");
  });

  it("refuses anonymous callers with UNAUTHENTICATED", async () => {
    const result = await users.request(mutation, { input: { displayName: "Ghost" } });
    expect(codes(result)).toEqual(["UNAUTHENTICATED"]);
  });

  it("refuses an empty or oversized displayName and keeps the old one", async () => {
    const me = await users.createUser({ email: "fred@example.com", displayName: "Fred" });
    for (const displayName of ["   ", "f".repeat(61)]) {
      const result = await users.request(mutation, { input: { displayName } }, me);
      expect(codes(result)).toEqual(["BAD_USER_INPUT"]);
      expect(result.errors![0]!.message).toContain('"displayName"');
    }
    const row = await users.db.primary.user.findUniqueOrThrow({ where: { id: me.userId } });
    expect(row.displayName).toBe("Fred");
  });
});
