import { startAzurite } from "functions-local-host";

/** Starts one in-memory Azurite for the whole test run; tests read its connection string from the env. */
export default async function globalSetup(): Promise<void> {
  const azurite = await startAzurite();
  process.env.TEST_STORAGE_CONNECTION = azurite.connectionString;
  (globalThis as { __azurite?: typeof azurite }).__azurite = azurite;
}
