/**
 * `npm test` runs two projects: the function app (src/, its dev tools in devtools/, the bench's own unit tests)
 * and the local host's own suite (local-host/, also runnable alone with `npx jest --selectProjects local-host`).
 * @type {import('jest').Config}
 */
module.exports = {
  projects: [
    {
      displayName: "app",
      testEnvironment: "node",
      rootDir: __dirname,
      roots: ["<rootDir>/src", "<rootDir>/devtools", "<rootDir>/bench"],
      testMatch: ["**/*.test.ts"],
      transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "<rootDir>/tsconfig.json" }] },
      globalSetup: "<rootDir>/src/test-support/globalSetup.ts",
      globalTeardown: "<rootDir>/src/test-support/globalTeardown.ts",
    },
    "<rootDir>/local-host",
  ],
  testTimeout: 30000,
};
