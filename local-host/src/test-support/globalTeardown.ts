import { stopSharedTestAzurite } from "./sharedAzurite";

export default async function globalTeardown(): Promise<void> {
  await stopSharedTestAzurite();
}
