import { app } from "@azure/functions";

import { config } from "../../config";
import { VERSION } from "../../version";
import { httpRoute } from "../http/httpRoute";
import { json } from "../http/problem";
import { openApiDocument } from "./openapiDocument";

// Failure policy: a bad setting stops start-up with a message naming the setting (never its value), instead of
// failing later on the first event or request.
app.hook.appStart(() => {
  config();
});

// Liveness for load balancers and operators: anonymous, touches no dependency.
httpRoute("health", { methods: ["GET"], route: "health", authLevel: "anonymous" }, () =>
  Promise.resolve(json(200, { status: "ok", version: VERSION })),
);

// The admin API's OpenAPI 3.1 document: anonymous, like the routes it describes it holds no data.
httpRoute("openapi", { methods: ["GET"], route: "openapi.json", authLevel: "anonymous" }, () =>
  Promise.resolve(json(200, openApiDocument)),
);
