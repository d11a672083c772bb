import { startSharedTestAzurite } from "./sharedAzurite";

/** Starts (or joins) the run's in-memory Azurite; tests read its connection string from the env. */
export default async function globalSetup(): Promise<void> {
  await startSharedTestAzurite();
}
