import { type OrchestrationStarter } from "../functions/dispatch/orchestrationStarter";

/** A fake of our own starter port that behaves like the durable one: an existing id starts nothing. */
export const fakeStarter = () => {
  const started = new Map<string, { name: string; input: unknown }>();
  /** Ids started again by startNew over an existing instance, and every id startNew started. */
  const restarted: string[] = [];
  const unchecked: string[] = [];
  const starter: OrchestrationStarter = {
    startIfAbsent: (name, instanceId, input) => {
      if (started.has(instanceId)) return Promise.resolve("exists");
      started.set(instanceId, { name, input });
      return Promise.resolve("started");
    },
    // As the durable client's startNew: an existing instance is started again (counted, so tests can see it).
    startNew: (name, instanceId, input) => {
      if (started.has(instanceId)) restarted.push(instanceId);
      started.set(instanceId, { name, input });
      unchecked.push(instanceId);
      return Promise.resolve();
    },
    exists: (instanceId) => Promise.resolve(started.has(instanceId)),
  };
  return { starter, started, restarted, unchecked };
};
