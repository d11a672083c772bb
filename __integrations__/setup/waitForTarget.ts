import axios from "axios";

import { makeProducer } from "../agent/producer";
import { targetFromEnv } from "../agent/target";
import { waitFor } from "../agent/waitFor";

/**
 * For an outside target (docker-compose): waits until the admin API answers its health route and the Event Hub
 * accepts a connection, so the first test does not race the containers' start-up.
 */
export const waitForTarget = async (env: NodeJS.ProcessEnv, timeoutMs = 180_000): Promise<void> => {
  const target = targetFromEnv(env);
  await waitFor(
    async () => {
      const response = await axios
        .get(`${target.adminUrl}/health`, { validateStatus: () => true, timeout: 5000 })
        .catch(() => undefined);
      return response?.status === 200;
    },
    { timeoutMs, intervalMs: 1000, what: "the admin API's health route" },
  );
  const producer = makeProducer(target.eventHubConnection, target.eventHubName);
  try {
    await waitFor(
      async () => {
        try {
          await producer.partitionIds();
          return true;
        } catch {
          return false;
        }
      },
      { timeoutMs, intervalMs: 1000, what: "the Event Hub" },
    );
  } finally {
    await producer.close();
  }
};
