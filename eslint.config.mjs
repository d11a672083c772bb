// Type-aware lint. src/domain stays pure: no SDKs, HTTP clients, process.env or Date.now.
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import simpleImportSort from "eslint-plugin-simple-import-sort";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "**/node_modules/",
      "dist/",
      "local-host/dist/",
      "coverage/",
      ".data/",
      "**/jest.config.js",
      "eslint.config.mjs",
      "console/vite.config.mjs",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { "simple-import-sort": simpleImportSort },
    rules: {
      "simple-import-sort/imports": "error",
      "simple-import-sort/exports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/switch-exhaustiveness-check": "error",
    },
  },
  {
    files: ["src/domain/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["@azure/*", "durable-functions"], message: "src/domain is pure: no Azure SDKs." },
            {
              group: ["undici", "axios", "node:http", "node:https", "http", "https", "node:net", "net"],
              message: "src/domain is pure: no HTTP or network.",
            },
            {
              group: ["node:fs", "fs", "node:child_process", "child_process"],
              message: "src/domain is pure: no I/O.",
            },
            {
              group: ["../adapters/*", "../functions/*", "../config"],
              message: "src/domain depends on nothing outside itself.",
            },
          ],
        },
      ],
      "no-restricted-properties": [
        "error",
        { object: "Date", property: "now", message: "Inject a clock into src/domain." },
        { object: "process", property: "env", message: "src/domain does not read settings; pass them in." },
        { object: "Math", property: "random", message: "Inject randomness into src/domain." },
      ],
      "no-restricted-globals": [
        "error",
        { name: "process", message: "src/domain does not touch the process." },
      ],
    },
  },
  {
    // The deployed app: only what runs in Azure. The local host, its SDKs and the dev tools' clients are
    // devDependencies, pruned from the deployment, so production code under src/ must not reach them.
    files: ["src/**/*.ts"],
    ignores: ["src/domain/**", "src/**/*.test.ts", "src/test-support/**", "src/**/testServers.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["functions-local-host", "functions-local-host/*", "**/local-host/**"],
              message: "The app never imports the local host: it is a devDependency, absent in Azure.",
            },
            {
              group: ["rhea", "azurite", "axios", "@azure/storage-blob"],
              message: "A devDependency (local host or dev tools only): not in the deployed app.",
            },
            {
              group: ["@azure/event-hubs"],
              message:
                "Only the replay reader (src/adapters/hub/) talks to the Event Hub: not in the deployed app elsewhere.",
            },
            {
              group: ["@azure/eventhubs-checkpointstore-blob", "**/devtools/**", "**/__integrations__/**"],
              message: "Not part of the deployed app.",
            },
          ],
        },
      ],
    },
  },
  {
    // The replay reader is the app's one Event Hubs client (a production dependency for that alone).
    files: ["src/adapters/hub/**/*.ts"],
    ignores: ["src/**/*.test.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["functions-local-host", "functions-local-host/*", "**/local-host/**"],
              message: "The app never imports the local host: it is a devDependency, absent in Azure.",
            },
            {
              group: ["rhea", "azurite", "axios", "@azure/storage-blob"],
              message: "A devDependency (local host or dev tools only): not in the deployed app.",
            },
          ],
        },
      ],
    },
  },
  {
    // The app's tests, dev tools, integration suite and bench use the host only through its public entry points.
    files: [
      "src/**/*.test.ts",
      "src/test-support/**/*.ts",
      "devtools/**/*.ts",
      "__integrations__/**/*.ts",
      "bench/**/*.ts",
    ],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["functions-local-host/*", "!functions-local-host/testing", "**/local-host/**"],
              message: 'Use the local host through "functions-local-host" or "functions-local-host/testing".',
            },
          ],
        },
      ],
    },
  },
  {
    // The local host knows nothing of the app it hosts.
    files: ["local-host/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: [
                "**/src/**",
                "**/devtools/**",
                "**/__integrations__/**",
                "**/bench/**",
                "public-event-dispatcher",
              ],
              message: "The local host hosts any Functions app: it imports nothing of this one.",
            },
          ],
        },
      ],
    },
  },
  {
    files: [
      "**/*.test.ts",
      "src/test-support/**/*.ts",
      "local-host/src/test-support/**/*.ts",
      "local-host/src/**/testHarness.ts",
      "local-host/src/**/testClients.ts",
      "__integrations__/**/*.ts",
      "bench/**/*.ts",
    ],
    rules: {
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/unbound-method": "off",
    },
  },
  prettier,
);
