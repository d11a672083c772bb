import { stopSharedTestAzurite } from "functions-local-host/testing";

export default async function globalTeardown(): Promise<void> {
  await stopSharedTestAzurite();
}
