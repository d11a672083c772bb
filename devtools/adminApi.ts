import axios, { type AxiosInstance, type AxiosResponse } from "axios";
import * as E from "fp-ts/Either";
import * as t from "io-ts";

import { Problem } from "../src/functions/http/problem";
import { type CliIo, CommandError } from "./cliArgs";
import { type AdminTarget, displayUrl, resolveAdminTarget } from "./runtimeInfo";

/** The admin API as the CLI's commands call it: the connection, one call, and reading its answers. */

export const CONNECTION = { "admin-url": { type: "string" }, key: { type: "string" } } as const;

// What the admin API answers, decoded at this boundary with the API's own codecs. A problem is read leniently:
// a 401 from the host, or a proxy's error page, may not be one.
const ProblemBody = t.partial(Problem.props, "Problem");

const clientFor = (target: AdminTarget): AxiosInstance =>
  axios.create({
    baseURL: `${target.url}/`,
    headers: { "x-functions-key": target.key },
    timeout: 15_000,
    validateStatus: () => true,
    maxRedirects: 0,
  });

/** One admin API call; network failures become readable errors (never with the key). */
export const call = async (
  target: AdminTarget,
  request: (client: AxiosInstance) => Promise<AxiosResponse<unknown>>,
): Promise<AxiosResponse<unknown>> => {
  try {
    return await request(clientFor(target));
  } catch (error) {
    const code = axios.isAxiosError(error) ? (error.code ?? error.message) : String(error);
    throw new CommandError(
      `Cannot reach the admin API at ${displayUrl(target.url)} (${code}): is \`npm start\` running?`,
    );
  }
};

/** A non-2xx answer as text: the problem's title, detail and each field path with its message. */
export const describeProblem = (response: AxiosResponse<unknown>, target: AdminTarget): string => {
  const decoded = ProblemBody.decode(response.data);
  const problem = E.isRight(decoded) && typeof response.data === "object" ? decoded.right : {};
  const lines = [`${problem.title ?? (response.statusText || "Error")} (HTTP ${response.status})`];
  if (problem.detail !== undefined) lines.push(`  ${problem.detail}`);
  for (const error of problem.errors ?? []) lines.push(`  - ${error.path}: ${error.message}`);
  if (response.status === 401) {
    lines.push(`  The admin key was refused by ${displayUrl(target.url)}: check --key or ADMIN_KEY`);
  }
  return lines.join("\n");
};

export const expectStatus = (response: AxiosResponse<unknown>, status: number, target: AdminTarget): void => {
  if (response.status !== status) throw new CommandError(describeProblem(response, target));
};

export const decodeOrFail = <A>(codec: t.Decoder<unknown, A>, data: unknown): A => {
  const decoded = codec.decode(data);
  if (E.isLeft(decoded))
    throw new CommandError(`The admin API answered with an unexpected ${codec.name} shape`);
  return decoded.right;
};

/** The admin URL and key from the flags, the environment or runtime.json; the key joins the redacted secrets. */
export const adminTarget = (
  options: { readonly "admin-url"?: string; readonly key?: string },
  io: CliIo,
  secrets: string[],
): AdminTarget => {
  const flags = {
    ...(options["admin-url"] === undefined ? {} : { url: options["admin-url"] }),
    ...(options.key === undefined ? {} : { key: options.key }),
  };
  const target = resolveAdminTarget(flags, io.env, io.cwd);
  secrets.push(target.key);
  return target;
};
