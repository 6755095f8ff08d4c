// One Jest run for the whole workspace: every package is a project, tests live in __tests__/.
// Test files run as native ES modules (NODE_OPTIONS=--experimental-vm-modules, see package.json).
const transform = {
  "^.+\\.ts$": ["@swc/jest", { jsc: { parser: { syntax: "typescript" }, target: "es2022" }, module: { type: "es6" } }],
};
const project = (displayName, rootDir) => ({
  displayName,
  rootDir,
  testEnvironment: "node",
  extensionsToTreatAsEsm: [".ts"],
  transform,
  moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
  testMatch: ["<rootDir>/**/__tests__/**/*.test.ts"],
  testPathIgnorePatterns: ["/node_modules/"],
});
export default {
  projects: [
    project("platform", "<rootDir>/packages/platform"),
    project("prisma", "<rootDir>/prisma"),
    project("users", "<rootDir>/subgraphs/users"),
    project("offers", "<rootDir>/subgraphs/offers"),
    project("reviews", "<rootDir>/subgraphs/reviews"),
    project("jobs", "<rootDir>/subgraphs/jobs"),
    project("gateway", "<rootDir>/gateway"),
    project("workers", "<rootDir>/workers"),
    project("scripts", "<rootDir>/scripts"),
    project("infra", "<rootDir>/infra"),
  ],
  globalSetup: "<rootDir>/packages/platform/src/testing/global-setup.mjs",
  globalTeardown: "<rootDir>/packages/platform/src/testing/global-teardown.mjs",
  // Generous: several tests start real processes, which can be slow on a loaded 2-core machine.
  testTimeout: 60000,
};
