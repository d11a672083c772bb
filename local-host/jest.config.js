/** @type {import('jest').Config} */
module.exports = {
  displayName: "local-host",
  testEnvironment: "node",
  roots: ["<rootDir>/src"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "<rootDir>/tsconfig.json" }] },
  globalSetup: "<rootDir>/src/test-support/globalSetup.ts",
  globalTeardown: "<rootDir>/src/test-support/globalTeardown.ts",
  testTimeout: 30000,
};
