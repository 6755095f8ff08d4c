import { createFormatError, ErrorCode } from "../errors.js";

const apolloCodes = [
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_REQUEST",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
  "OPERATION_RESOLUTION_FAILURE",
];

describe("createFormatError", () => {
  const internal: unknown[] = [];
  const format = createFormatError({ exposeDetails: false, onInternalError: (error) => internal.push(error) });
  beforeEach(() => {
    internal.length = 0;
  });

  it.each(apolloCodes)("passes Apollo's %s on unchanged, message included, without a stack trace", (code) => {
    const formatted = format({ message: "Syntax Error: Expected Name", extensions: { code, stacktrace: ["at parse (x.ts:1)"] } }, null);
    expect(formatted).toEqual({ message: "Syntax Error: Expected Name", extensions: { code } });
    expect(internal).toEqual([]);
  });

  it("keeps the registry's own codes and their details", () => {
    const formatted = format({ message: "Bad price", extensions: { code: ErrorCode.BAD_USER_INPUT, field: "price" } }, null);
    expect(formatted).toEqual({ message: "Bad price", extensions: { code: "BAD_USER_INPUT", field: "price" } });
  });

  it("hides errors without a registry code as INTERNAL_SERVER_ERROR and reports them", () => {
    const cause = new Error("relation jobs.jobs does not exist");
    const formatted = format({ message: cause.message, path: ["job"], extensions: { code: "P2021" } }, cause);
    expect(formatted).toEqual({
      message: "Something went wrong on our side. It has been logged; please try again.",
      path: ["job"],
      extensions: { code: "INTERNAL_SERVER_ERROR" },
    });
    expect(internal).toEqual([cause]);
  });
});
