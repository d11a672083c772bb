import { httpRoute } from "../http/httpRoute";
import { makeConsoleAssets } from "./consoleAssets";

// The operator console (static files, anonymous: the page holds no data; its API calls carry the function key).

const serve = makeConsoleAssets();

httpRoute("console", { methods: ["GET"], route: "console/{*path}", authLevel: "anonymous" }, (request) =>
  serve(request),
);
