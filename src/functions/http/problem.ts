import { type HttpResponseInit } from "@azure/functions";
import * as t from "io-ts";

import { FieldError } from "../../domain/fieldErrors";

/** RFC 9457 problem details: `{type, title, status, detail, errors: [{path, message}]}`. */
export const Problem = t.type(
  {
    type: t.string,
    title: t.string,
    status: t.number,
    detail: t.string,
    errors: t.readonlyArray(FieldError),
  },
  "Problem",
);
export type Problem = t.TypeOf<typeof Problem>;

const PROBLEM_BASE = "urn:public-event-dispatcher:problem:";

const TITLES: Readonly<Record<number, [string, string]>> = {
  400: ["validation", "The request is not valid"],
  401: ["unauthorized", "A valid function key is required"],
  404: ["not-found", "No such resource"],
  405: ["method-not-allowed", "Method not allowed"],
  409: ["conflict", "Conflict"],
  412: ["precondition-failed", "The resource has changed"],
  413: ["too-large", "The request body is too large"],
  415: ["unsupported-media-type", "The body must be JSON"],
  500: ["internal", "Internal error"],
};

export const problem = (
  status: number,
  detail: string,
  errors: ReadonlyArray<FieldError> = [],
): HttpResponseInit => {
  const [slug, title] = TITLES[status] ?? ["error", "Error"];
  const body: Problem = { type: PROBLEM_BASE + slug, title, status, detail, errors };
  return { status, jsonBody: body, headers: { "content-type": "application/problem+json" } };
};

export const json = (
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): HttpResponseInit => ({
  status,
  jsonBody: body,
  headers: { "content-type": "application/json", ...headers },
});
