/** The subscription → query rewrite keeps what the client asked for: alias, selection, fragments, variables. */
import { getOperationAST, parse, print } from "graphql";
import { rewriteSubscription } from "../../src/subscriptions/operation-rewrite.js";

const rewrite = (source: string, variables: Record<string, unknown> = {}) => {
  const document = parse(source);
  return rewriteSubscription(document, getOperationAST(document)!, variables);
};

it("reads jobUpdated's job with its own id argument, alias and fragments, plus the hidden version", () => {
  const live = rewrite(
    `subscription Watch($id: ID!) { j: jobUpdated(id: $id) { s: status ...F offer { title } } } fragment F on Job { progress }`,
    { id: "a1" },
  );
  expect(live).toMatchObject({ field: "jobUpdated", responseKey: "j", jobId: "a1", takesLiveId: false });
  expect(print(live.query)).toContain(
    "query Watch($id: ID!) {\n  j: job(id: $id) {\n    s: status\n    ...F\n    offer {\n      title\n    }\n    agoraLiveVersion: updatedAt",
  );
  expect(print(live.query)).toContain("fragment F on Job");
  expect([...live.jobFields]).toEqual([
    ["s", "status"],
    ["progress", "progress"],
    ["offer", "offer"],
  ]);
});

it("reads myJobUpdates and notifications by the id an event names", () => {
  expect(print(rewrite(`subscription { myJobUpdates { id } }`).query)).toContain(
    "query ($agoraLiveId: ID!) {\n  myJobUpdates: job(id: $agoraLiveId)",
  );
  const notifications = rewrite(`subscription { notifications { kind job { status } } }`);
  expect(print(notifications.query)).toContain("notifications: notification(id: $agoraLiveId) {\n    kind\n    job {");
  expect(notifications.jobFields.size).toBe(0);
});

it("refuses a root selected through a fragment", () => {
  expect(() => rewrite(`subscription { ...S } fragment S on Subscription { notifications { id } }`)).toThrow(/directly/);
});
