import path from "node:path";

import packageJson from "../../package.json";
import { functionFiles, loadApp } from "../test-support/loadApp";
import { openApiDocument } from "./service/openapiDocument";

const httpFunctions = () =>
  loadApp()
    .byTriggerType("httpTrigger")
    .map((f) => ({
      name: f.name,
      route: f.trigger.route as string,
      methods: f.trigger.methods as string[],
      authLevel: f.trigger.authLevel as string,
    }));

describe("registered functions", () => {
  it("registers every HTTP route with an explicit auth level: anonymous only for health, openapi and the console", () => {
    const functions = httpFunctions();
    expect(functions.length).toBeGreaterThanOrEqual(8);
    for (const f of functions) {
      expect(f.authLevel).toBe(
        ["health", "openapi", "operator-console"].includes(f.name) ? "anonymous" : "function",
      );
    }
  });

  it("has an OpenAPI 3.1 document that describes exactly the registered routes", () => {
    expect(openApiDocument.openapi).toBe("3.1.0");
    // The console's static files are not part of the API it documents.
    const registered = httpFunctions()
      .filter((f) => f.name !== "operator-console")
      .flatMap((f) => f.methods.map((m) => `${m.toUpperCase()} /api/${f.route} ${f.name}`))
      .sort();
    const documented = Object.entries(openApiDocument.paths)
      .flatMap(([route, operations]) =>
        Object.entries(operations).map(
          ([method, operation]) =>
            `${method.toUpperCase()} ${route} ${(operation as { operationId: string }).operationId}`,
        ),
      )
      .sort();
    expect(documented).toEqual(registered);
  });

  it("gives a durable client only to the functions that start, signal or read orchestrations", () => {
    const withClient = [...loadApp().functions.values()]
      .filter((f) => Object.values(f.metadata.bindings).some((b) => b.type === "durableClient"))
      .map((f) => f.name)
      .sort();
    expect(withClient).toEqual([
      "dead-letter-recover-page",
      "dead-letters-replay",
      "onIncomingEvents",
      "orchestration-history-purge",
      "webhooks-ping",
      "webhooks-recover",
      "webhooks-recoveries-get",
      "webhooks-replays-start",
      "webhooks-subjects-retry-now",
      "webhooks-subjects-skip",
    ]);
  });

  it("retries a failed Event Hub batch forever: without a policy the Functions host would pass its events over", () => {
    const ingest = loadApp().functions.get("onIncomingEvents");
    expect((ingest?.metadata as { retryOptions?: unknown }).retryOptions).toMatchObject({
      retryStrategy: "exponentialBackoff",
      maxRetryCount: -1,
    });
  });

  it("registers from exactly the files package.json main names", () => {
    expect(packageJson.main).toBe("dist/src/functions/*/register.js");
    expect(functionFiles().map((f) => path.relative(path.join(__dirname, ".."), f))).toEqual([
      "functions/console/register.ts",
      "functions/deliveryRecords/register.ts",
      "functions/dispatch/register.ts",
      "functions/ingest/register.ts",
      "functions/maintenance/register.ts",
      "functions/replays/register.ts",
      "functions/service/register.ts",
      "functions/webhooks/register.ts",
    ]);
  });

  it("purges finished orchestrations hourly, with a durable client", () => {
    const purge = loadApp().functions.get("orchestration-history-purge");
    expect(purge?.trigger.type).toBe("timerTrigger");
    expect(purge?.trigger.schedule).toBe("0 45 * * * *");
  });

  it("checks the configuration when the app starts", () => {
    expect(loadApp().hooks.get("appStart")).toHaveLength(1);
  });
});
