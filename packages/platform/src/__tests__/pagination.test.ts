import { decodeCursor, encodeCursor, parsePage, toConnection } from "../pagination.js";

describe("pagination", () => {
  it("round-trips cursors", () => {
    const key = { createdAt: new Date("2026-01-02T03:04:05.678Z"), id: "4b7c1b38-8d5b-4a4e-9c39-0c1d2c3b4a59" };
    expect(decodeCursor(encodeCursor(key))).toEqual(key);
  });

  it("defaults first to 20 and refuses values outside 1..100", () => {
    expect(parsePage({}).first).toBe(20);
    expect(() => parsePage({ first: 101 })).toThrow(/between 1 and 100/);
    expect(() => parsePage({ first: 0 })).toThrow(/between 1 and 100/);
  });

  it("refuses cursors it did not issue with BAD_USER_INPUT", () => {
    try {
      parsePage({ after: "not-a-cursor" });
      throw new Error("expected a throw");
    } catch (error) {
      expect((error as { extensions: { code: string } }).extensions.code).toBe("BAD_USER_INPUT");
    }
  });

  it("uses the extra row only to tell whether there is a next page", () => {
    const rows = [1, 2, 3].map((n) => ({ createdAt: new Date(n * 1000), id: `id-${n}` }));
    const connection = toConnection(rows, { first: 2, after: null }, () => 3);
    expect(connection.edges.map((e) => e.node.id)).toEqual(["id-1", "id-2"]);
    expect(connection.pageInfo.hasNextPage).toBe(true);
  });
});
