/** What a receiver answers: a function of the request's attempt number for its webhook-id. */
export interface Reply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** What a responder may look at besides the attempt number. */
export interface RequestSeen {
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export type Responder = (attempt: number, request: RequestSeen) => Reply;

/** Always the same status (200 by default). */
export const always =
  (status = 200): Responder =>
  () => ({ status });

/** The given statuses for attempts 1..n of each delivery, then `then` for every later attempt. */
export const failing =
  (statuses: ReadonlyArray<number>, then = 200): Responder =>
  (attempt) => ({ status: statuses[attempt - 1] ?? then });
