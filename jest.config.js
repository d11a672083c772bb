/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/src", "<rootDir>/bench"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json" }] },
  globalSetup: "<rootDir>/src/test-support/globalSetup.ts",
  globalTeardown: "<rootDir>/src/test-support/globalTeardown.ts",
  testTimeout: 30000,
};
