// Telemetry starts before anything else of the app loads (startup.ts).
import "../../adapters/telemetry/startup";

import { httpRoute } from "../http/httpRoute";
import { makeConsoleAssets } from "./consoleAssets";

// The operator console (static files, anonymous: the page holds no data; its API calls carry the function key).

const serve = makeConsoleAssets();

httpRoute(
  "operator-console",
  { methods: ["GET"], route: "console/{*path}", authLevel: "anonymous" },
  (request) => serve(request),
);
