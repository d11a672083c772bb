import {
  app,
  type FunctionInput,
  type HttpMethod,
  type HttpRequest,
  type HttpResponseInit,
  type InvocationContext,
} from "@azure/functions";

import { problem } from "./problem";

export interface RouteSpec {
  readonly methods: ReadonlyArray<HttpMethod>;
  readonly route: string;
  readonly authLevel: "anonymous" | "function" | "admin";
  readonly extraInputs?: ReadonlyArray<FunctionInput>;
}

/**
 * Registers an HTTP trigger whose handler errors become a problem+json 500. The error's message goes to the
 * log (never the request body: it may hold personal data or secrets).
 */
export const httpRoute = (
  name: string,
  spec: RouteSpec,
  handler: (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>,
): void => {
  app.http(name, {
    methods: [...spec.methods],
    route: spec.route,
    authLevel: spec.authLevel,
    ...(spec.extraInputs === undefined ? {} : { extraInputs: [...spec.extraInputs] }),
    handler: async (request, context) => {
      try {
        return await handler(request, context);
      } catch (error) {
        context.error(`${name} failed: ${error instanceof Error ? error.message : String(error)}`);
        return problem(500, "The request could not be completed; it is safe to retry");
      }
    },
  });
};
