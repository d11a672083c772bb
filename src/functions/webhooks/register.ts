import { appDeps } from "../../composition";
import { httpRoute } from "../http/httpRoute";
import { makeWebhooksApi } from "./webhooksApi";

// Admin API: webhook CRUD and secret rotation (authLevel "function": the x-functions-key header or ?code=).

let api: ReturnType<typeof makeWebhooksApi> | undefined;
const webhooksApi = (): ReturnType<typeof makeWebhooksApi> =>
  (api ??= (() => {
    const deps = appDeps();
    return makeWebhooksApi({
      store: deps.webhooks,
      policy: () => deps.webhookPolicy,
      clock: deps.clock,
      newId: deps.newId,
      newSecret: deps.newSecret,
      rotationGraceMs: () => deps.config.SECRET_ROTATION_GRACE_SECONDS * 1000,
      health: deps.webhookHealth,
      autoDisableAfterMs: () => deps.config.AUTO_DISABLE_AFTER,
    });
  })());

httpRoute("webhooks-create", { methods: ["POST"], route: "webhooks", authLevel: "function" }, (request) =>
  webhooksApi().create(request),
);
httpRoute("webhooks-list", { methods: ["GET"], route: "webhooks", authLevel: "function" }, (request) =>
  webhooksApi().list(request),
);
httpRoute("webhooks-get", { methods: ["GET"], route: "webhooks/{id}", authLevel: "function" }, (request) =>
  webhooksApi().get(request),
);
httpRoute(
  "webhooks-replace",
  { methods: ["PUT"], route: "webhooks/{id}", authLevel: "function" },
  (request) => webhooksApi().replace(request),
);
httpRoute(
  "webhooks-delete",
  { methods: ["DELETE"], route: "webhooks/{id}", authLevel: "function" },
  (request) => webhooksApi().remove(request),
);
httpRoute(
  "webhooks-rotate-secret",
  { methods: ["POST"], route: "webhooks/{id}/rotate-secret", authLevel: "function" },
  (request) => webhooksApi().rotateSecret(request),
);

httpRoute(
  "webhooks-health",
  { methods: ["GET"], route: "webhooks/{id}/health", authLevel: "function" },
  (request) => webhooksApi().health(request),
);
