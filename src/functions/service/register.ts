// Telemetry starts before anything else of the app loads (startup.ts).
import "../../adapters/telemetry/startup";

import { app, type HttpResponseInit } from "@azure/functions";

import { appDeps } from "../../composition";
import { config } from "../../config";
import { VERSION } from "../../version";
import { httpRoute } from "../http/httpRoute";
import { json } from "../http/problem";
import { makeHealthCheck } from "./health";
import { openApiDocument } from "./openapiDocument";

// Failure policy: a bad setting stops start-up with a message naming the setting (never its value), instead of
// failing later on the first event or request.
app.hook.appStart(() => {
  config();
});

/** How long the health route serves one storage probe's answer. */
const HEALTH_CACHE_MS = 2000;

// Liveness and storage reachability for load balancers and operators: anonymous, one bounded probe per 2 s.
let health: (() => Promise<HttpResponseInit>) | undefined;
httpRoute("health", { methods: ["GET"], route: "health", authLevel: "anonymous" }, () => {
  const deps = appDeps();
  health ??= makeHealthCheck({
    probe: deps.storageProbe,
    clock: deps.clock,
    version: VERSION,
    cacheMs: HEALTH_CACHE_MS,
  });
  return health();
});

// The admin API's OpenAPI 3.1 document: anonymous, like the routes it describes it holds no data.
httpRoute("openapi", { methods: ["GET"], route: "openapi.json", authLevel: "anonymous" }, () =>
  Promise.resolve(json(200, openApiDocument)),
);
