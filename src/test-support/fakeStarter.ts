import { type OrchestrationStarter } from "../functions/dispatch/orchestrationStarter";

/** A fake of our own starter port that behaves like the durable one: an existing id starts nothing. */
export const fakeStarter = () => {
  const started = new Map<string, { name: string; input: unknown }>();
  const starter: OrchestrationStarter = {
    startIfAbsent: (name, instanceId, input) => {
      if (started.has(instanceId)) return Promise.resolve("exists");
      started.set(instanceId, { name, input });
      return Promise.resolve("started");
    },
  };
  return { starter, started };
};
