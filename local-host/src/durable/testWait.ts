import { HttpRequest } from "@azure/functions";

import type { Harness } from "./testHarness";

/**
 * Test support: the real DurableClient's waitForCompletionOrCreateCheckStatusResponse for one instance; its HTTP
 * status (200 completed or terminated, 500 failed, 202 still running at the timeout) and JSON body.
 */
export const waitForCompletion = async (
  h: Harness,
  instanceId: string,
  timeoutInMilliseconds = 10_000,
): Promise<{ status: number; body: unknown }> => {
  const request = new HttpRequest({ url: `${h.baseUrl}/api/start`, method: "POST" });
  const response = await h.client.waitForCompletionOrCreateCheckStatusResponse(request, instanceId, {
    timeoutInMilliseconds,
    retryIntervalInMilliseconds: 50,
  });
  return { status: response.status, body: await response.json() };
};
