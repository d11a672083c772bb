import { VERSION } from "../version";
import { httpRoute } from "./handlers/httpRoute";
import { json } from "./handlers/problem";

// Liveness for load balancers and operators: anonymous, touches no dependency.
httpRoute("health", { methods: ["GET"], route: "health", authLevel: "anonymous" }, () =>
  Promise.resolve(json(200, { status: "ok", version: VERSION })),
);
