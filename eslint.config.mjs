// Type-aware lint. src/domain stays pure: no SDKs, HTTP clients, process.env or Date.now.
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import simpleImportSort from "eslint-plugin-simple-import-sort";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", "coverage/", ".data/", "jest.config.js", "eslint.config.mjs"] },
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
              group: ["../adapters/*", "../functions/*", "../local/*", "../config"],
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
    files: ["**/*.test.ts", "src/test-support/**/*.ts", "__integrations__/**/*.ts", "bench/**/*.ts"],
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
