import { httpRoute } from "./handlers/httpRoute";
import { openApiDocument } from "./handlers/openapiDocument";
import { json } from "./handlers/problem";

httpRoute("openapi", { methods: ["GET"], route: "openapi.json", authLevel: "anonymous" }, () =>
  Promise.resolve(json(200, openApiDocument)),
);
