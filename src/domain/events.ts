import * as t from "io-ts";

/**
 * The event catalogue (compatible with the original IO dispatcher). Incoming events are `{name, payload}`;
 * unknown payload keys are dropped at decode (t.exact), so nothing the catalogue does not name travels on.
 */

interface NonEmptyStringBrand {
  readonly NonEmptyString: unique symbol;
}
export const NonEmptyString = t.brand(
  t.string,
  (s): s is t.Branded<string, NonEmptyStringBrand> => s.trim().length > 0,
  "NonEmptyString",
);
export type NonEmptyString = t.TypeOf<typeof NonEmptyString>;

interface FiscalCodeBrand {
  readonly FiscalCode: unique symbol;
}
/** An Italian fiscal code: 16 characters, the usual pattern (omocodia digits included). */
const FISCAL_CODE =
  /^[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$/;
export const FiscalCode = t.brand(
  t.string,
  (s): s is t.Branded<string, FiscalCodeBrand> => FISCAL_CODE.test(s),
  "FiscalCode",
);
export type FiscalCode = t.TypeOf<typeof FiscalCode>;

export const ServicePreferencesMode = t.keyof(
  { LEGACY: null, AUTO: null, MANUAL: null },
  "ServicePreferencesMode",
);
export type ServicePreferencesMode = t.TypeOf<typeof ServicePreferencesMode>;

// Public events: delivered to webhooks.

export const PingEvent = t.exact(
  t.type({ name: t.literal("ping"), payload: t.exact(t.type({ name: NonEmptyString })) }),
  "PingEvent",
);
export type PingEvent = t.TypeOf<typeof PingEvent>;

export const ServiceSubscribedEvent = t.exact(
  t.type({
    name: t.literal("service:subscribed"),
    payload: t.exact(t.type({ serviceId: NonEmptyString, fiscalCode: FiscalCode })),
  }),
  "ServiceSubscribedEvent",
);
export type ServiceSubscribedEvent = t.TypeOf<typeof ServiceSubscribedEvent>;

export const PublicEvent = t.union([PingEvent, ServiceSubscribedEvent], "PublicEvent");
export type PublicEvent = t.TypeOf<typeof PublicEvent>;
export type PublicEventName = PublicEvent["name"];

// Non-public events: accepted, then remapped to public ones.

export const PingAllEvent = t.exact(
  t.intersection([t.type({ name: t.literal("ping:all") }), t.partial({ payload: t.exact(t.type({})) })]),
  "PingAllEvent",
);
export type PingAllEvent = t.TypeOf<typeof PingAllEvent>;

export const ProfileCompletedEvent = t.exact(
  t.type({
    name: t.literal("profile:completed"),
    payload: t.exact(t.type({ fiscalCode: FiscalCode, servicePreferencesMode: ServicePreferencesMode })),
  }),
  "ProfileCompletedEvent",
);
export type ProfileCompletedEvent = t.TypeOf<typeof ProfileCompletedEvent>;

export const ProfileServicePreferencesChangedEvent = t.exact(
  t.type({
    name: t.literal("profile:service-preferences-changed"),
    payload: t.exact(
      t.type({
        fiscalCode: FiscalCode,
        servicePreferencesMode: ServicePreferencesMode,
        oldServicePreferencesMode: ServicePreferencesMode,
      }),
    ),
  }),
  "ProfileServicePreferencesChangedEvent",
);
export type ProfileServicePreferencesChangedEvent = t.TypeOf<typeof ProfileServicePreferencesChangedEvent>;

export const NonPublicEvent = t.union(
  [PingAllEvent, ProfileCompletedEvent, ProfileServicePreferencesChangedEvent],
  "NonPublicEvent",
);
export type NonPublicEvent = t.TypeOf<typeof NonPublicEvent>;

export const IncomingEvent = t.union([PublicEvent, NonPublicEvent], "IncomingEvent");
export type IncomingEvent = t.TypeOf<typeof IncomingEvent>;

/** Public event name -> the webhook attributes a subscriber must carry. */
export const REQUIRED_ATTRIBUTES: Readonly<Record<PublicEventName, ReadonlyArray<string>>> = {
  ping: ["name"],
  "service:subscribed": ["serviceId"],
};

export const PUBLIC_EVENT_NAMES = Object.keys(REQUIRED_ATTRIBUTES) as ReadonlyArray<PublicEventName>;
/** A public event's name as a codec (a webhook's subscriptions). */
export const PublicEventName = t.keyof(REQUIRED_ATTRIBUTES, "PublicEventName");
export const INCOMING_EVENT_NAMES: ReadonlyArray<IncomingEvent["name"]> = [
  ...PUBLIC_EVENT_NAMES,
  "ping:all",
  "profile:completed",
  "profile:service-preferences-changed",
];

export const isPublicEventName = (name: string): name is PublicEventName =>
  (PUBLIC_EVENT_NAMES as ReadonlyArray<string>).includes(name);
