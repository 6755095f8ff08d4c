import { randomUUID } from "node:crypto";
import { startUsers, type UsersHarness } from "./harness.js";

let users: UsersHarness;
const ids: string[] = [];
beforeAll(async () => {
  users = await startUsers("entities");
  for (let i = 0; i < 20; i++) ids.push((await users.createUser({ email: `entity-${i}@example.com`, displayName: `Entity ${i}` })).userId);
});
afterAll(async () => {
  await users.stop();
});

const entitiesQuery = `query Entities($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on User { id displayName email role } }
}`;
const representations = (list: string[]) => list.map((id) => ({ __typename: "User", id }));

async function statementsFor(list: string[]) {
  const before = users.db.statementCount();
  const result = await users.request(entitiesQuery, { representations: representations(list) });
  return { result, statements: users.db.statementCount() - before };
}

describe("_entities", () => {
  it("resolves User references in order, with null for unknown ids and hidden emails", async () => {
    const unknown = randomUUID();
    const { result } = await statementsFor([ids[3]!, unknown, ids[0]!]);
    expect(result.errors).toBeUndefined();
    expect(result.data!._entities).toEqual([
      { id: ids[3], displayName: "Entity 3", email: null, role: "USER" },
      null,
      { id: ids[0], displayName: "Entity 0", email: null, role: "USER" },
    ]);
  });

  it("issues the same number of SQL statements for 2 and for 20 references (one batched lookup)", async () => {
    const two = await statementsFor(ids.slice(0, 2));
    const twenty = await statementsFor(ids);
    expect(two.result.data!._entities).toHaveLength(2);
    expect(twenty.result.data!._entities.map((u: { id: string }) => u.id)).toEqual(ids);
    expect(twenty.statements).toBe(two.statements);
    expect(twenty.statements).toBe(1);
  });

  it("resolves a malformed id to null instead of failing the batch", async () => {
    const { result } = await statementsFor(["not-a-uuid", ids[1]!]);
    expect(result.errors).toBeUndefined();
    expect(result.data!._entities).toEqual([null, expect.objectContaining({ id: ids[1] })]);
  });
});
