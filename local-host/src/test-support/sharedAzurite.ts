import { type RunningAzurite, startAzurite } from "../azurite";

/**
 * One in-memory Azurite for a whole jest run, shared by every project's globalSetup (the app's and the host's run
 * in the same process): the first starts it, each later one only counts itself, and the last globalTeardown
 * stops it. Tests read its connection string from TEST_STORAGE_CONNECTION.
 */
interface Shared {
  azurite: RunningAzurite;
  users: number;
}
const holder = globalThis as { __sharedTestAzurite?: Shared };

export const startSharedTestAzurite = async (): Promise<void> => {
  const shared = holder.__sharedTestAzurite;
  if (shared !== undefined) {
    shared.users += 1;
    return;
  }
  const azurite = await startAzurite();
  holder.__sharedTestAzurite = { azurite, users: 1 };
  process.env.TEST_STORAGE_CONNECTION = azurite.connectionString;
};

export const stopSharedTestAzurite = async (): Promise<void> => {
  const shared = holder.__sharedTestAzurite;
  if (shared === undefined) return;
  shared.users -= 1;
  if (shared.users > 0) return;
  holder.__sharedTestAzurite = undefined;
  await shared.azurite.stop();
};
