/**
 * What one delivery attempt's result means for the delivery: done, try again later, or give up. Pure; the HTTP
 * adapter reports a status (and Retry-After) or an error kind, and the retry loop reads the tag.
 */

export type DeliveryErrorKind =
  | "timeout"
  | "connect-timeout"
  | "connection-refused"
  | "connection-reset"
  | "dns"
  | "tls"
  | "blocked-target"
  | "network";

export type DeliveryOutcome =
  | { readonly kind: "delivered"; readonly status: number }
  | {
      readonly kind: "retryable";
      readonly status?: number;
      readonly error?: DeliveryErrorKind;
      readonly retryAfterMs?: number;
    }
  | {
      readonly kind: "permanent";
      readonly status?: number;
      readonly error?: DeliveryErrorKind;
      readonly gone: boolean;
      /** Why a blocked target was refused ("loopback: 127.0.0.1 for localhost"), for operators. */
      readonly detail?: string;
    };

/** Statuses outside 5xx that mean "not now" rather than "never": timeout, too early, rate limited. */
const RETRYABLE_CLIENT_STATUSES: ReadonlySet<number> = new Set([408, 425, 429]);

export const classifyResponse = (
  status: number,
  headers: { readonly retryAfter?: string },
  now: Date,
): DeliveryOutcome => {
  if (status >= 200 && status <= 299) return { kind: "delivered", status };
  if (RETRYABLE_CLIENT_STATUSES.has(status) || (status >= 500 && status <= 599)) {
    // Failure policy: the receiver is overloaded or down; the delivery is kept and tried again, no sooner than
    // it asked (Retry-After) within the limits the retry policy sets.
    const retryAfterMs =
      headers.retryAfter === undefined ? undefined : parseRetryAfter(headers.retryAfter, now);
    return retryAfterMs === undefined
      ? { kind: "retryable", status }
      : { kind: "retryable", status, retryAfterMs };
  }
  // Failure policy: 410 Gone says the endpoint is retired for good; the delivery is dead-lettered and the caller
  // disables the webhook so later events are not sent there.
  if (status === 410) return { kind: "permanent", status, gone: true };
  // Failure policy: any other status (1xx, 3xx, 4xx, nonsense) will not change on retry; the delivery goes to
  // the dead letters where an operator can replay it. Redirects are not followed: the target is what the
  // operator registered, and following a redirect would let a receiver point us at an internal address.
  return { kind: "permanent", status, gone: false };
};

export const classifyError = (error: DeliveryErrorKind, detail?: string): DeliveryOutcome => {
  switch (error) {
    case "blocked-target":
      // Failure policy: the target resolves to an address we never connect to; retrying cannot help, so the
      // delivery is dead-lettered. The webhook stays enabled: DNS may be fixed by its owner.
      return { kind: "permanent", error, gone: false, ...(detail === undefined ? {} : { detail }) };
    case "timeout":
    case "connect-timeout":
    case "connection-refused":
    case "connection-reset":
    case "dns":
    case "tls":
    case "network":
      // Failure policy: the receiver may be restarting, unreachable or mid-certificate-renewal; the delivery is
      // kept and retried on the schedule until it is exhausted, then dead-lettered.
      return { kind: "retryable", error };
    default: {
      const unknown: never = error;
      return unknown;
    }
  }
};

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/** IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
const IMF_FIXDATE = /^[A-Za-z]{3}, (\d{2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
/** Obsolete RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT" */
const RFC850_DATE = /^[A-Za-z]{6,9}, (\d{2})-([A-Za-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
/** Obsolete asctime: "Sun Nov  6 08:49:37 1994" */
const ASCTIME_DATE = /^[A-Za-z]{3} ([A-Za-z]{3}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;

interface DateParts {
  day: string;
  month: string;
  year: number;
  h: string;
  m: string;
  s: string;
}

const toEpochMs = ({ day, month, year, h, m, s }: DateParts): number | undefined => {
  const monthIndex = MONTHS.indexOf(month.toLowerCase());
  if (monthIndex < 0) return undefined;
  const [dd, hh, mm, ss] = [day, h, m, s].map((x) => Number(x.trim())) as [number, number, number, number];
  if (dd < 1 || dd > 31 || hh > 23 || mm > 59 || ss > 60) return undefined;
  const ms = Date.UTC(year, monthIndex, dd, hh, mm, Math.min(ss, 59));
  return new Date(ms).getUTCDate() === dd ? ms : undefined; // rejects 31 Feb and the like
};

/** The three HTTP-date formats of RFC 9110 §5.6.7, parsed as UTC (Date.parse would read asctime as local time). */
const parseHttpDate = (text: string): number | undefined => {
  const imf = IMF_FIXDATE.exec(text);
  if (imf) {
    const [, day = "", month = "", year = "", h = "", m = "", s = ""] = imf;
    return toEpochMs({ day, month, year: Number(year), h, m, s });
  }
  const rfc850 = RFC850_DATE.exec(text);
  if (rfc850) {
    const [, day = "", month = "", yy = "", h = "", m = "", s = ""] = rfc850;
    // Two-digit years: 70-99 are 1900s, 00-69 are 2000s (a past date only makes the delay 0 anyway).
    const year = Number(yy) >= 70 ? 1900 + Number(yy) : 2000 + Number(yy);
    return toEpochMs({ day, month, year, h, m, s });
  }
  const asctime = ASCTIME_DATE.exec(text);
  if (asctime) {
    const [, month = "", day = "", h = "", m = "", s = "", year = ""] = asctime;
    return toEpochMs({ day, month, year: Number(year), h, m, s });
  }
  return undefined;
};

/**
 * Retry-After as milliseconds from `now`: delta-seconds or an HTTP-date. Garbage gives undefined (ignored); a
 * date in the past, or a negative number of seconds, gives 0. Very large values are returned as they are: the
 * retry policy caps them.
 */
export const parseRetryAfter = (value: string, now: Date): number | undefined => {
  const text = value.trim();
  if (/^-?\d+$/.test(text)) {
    const seconds = Number(text);
    return Number.isFinite(seconds) ? Math.max(0, seconds) * 1000 : undefined;
  }
  const at = parseHttpDate(text);
  return at === undefined ? undefined : Math.max(0, at - now.getTime());
};
