import type { RunningAzurite } from "functions-local-host";

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __azurite?: RunningAzurite }).__azurite?.stop();
}
