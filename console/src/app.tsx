import { useMemo, useState } from "preact/hooks";

import { type Api, ApiError, makeApi } from "./api";
import { href, type Route, useRoute } from "./route";
import { DeadLettersScreen } from "./screens/deadLetters";
import { DeliveryLogScreen } from "./screens/deliveryLog";
import { HeldSubjectsScreen } from "./screens/heldSubjects";
import { RejectedScreen } from "./screens/rejected";
import { ReplaysScreen } from "./screens/replays";
import { WebhookScreen } from "./screens/webhook";
import { WebhooksScreen } from "./screens/webhooks";
import { forgetKey, rememberKey, storedKey } from "./session";
import { Alert } from "./widgets";

const SignIn = ({ onSignedIn }: { onSignedIn: (key: string) => void }) => {
  const [key, setKey] = useState("");
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      // One keyed read proves the key before it is kept.
      await makeApi(key.trim()).listWebhooks();
      onSignedIn(key.trim());
    } catch (e) {
      setError(
        e instanceof ApiError && (e.status === 401 || e.status === 403)
          ? "That function key was not accepted (HTTP 401). Check the key and try again."
          : e instanceof Error
            ? e.message
            : String(e),
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <h1>Dispatcher console</h1>
      <form onSubmit={(e) => void submit(e)}>
        <label for="function-key">Function key</label>
        <input
          id="function-key"
          type="password"
          autocomplete="off"
          spellcheck={false}
          required
          value={key}
          onInput={(e) => setKey(e.currentTarget.value)}
        />
        <p class="hint">
          The app's function or host key. It is kept in this tab only (sessionStorage) and sent as the
          x-functions-key header.
        </p>
        <button type="submit" disabled={busy || key.trim() === ""}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <Alert message={error} />
      </form>
    </main>
  );
};

const NAV: ReadonlyArray<{ label: string; route: Route; matches: ReadonlyArray<Route["screen"]> }> = [
  {
    label: "Webhooks",
    route: { screen: "webhooks" },
    matches: ["webhooks", "webhook", "subjects", "replays"],
  },
  { label: "Delivery log", route: { screen: "log" }, matches: ["log"] },
  { label: "Dead letters", route: { screen: "dead-letters" }, matches: ["dead-letters"] },
  { label: "Rejected events", route: { screen: "rejected" }, matches: ["rejected"] },
];

const Screen = ({ api, route }: { api: Api; route: Route }) => {
  switch (route.screen) {
    case "webhooks":
      return <WebhooksScreen api={api} />;
    case "webhook":
      return <WebhookScreen api={api} id={route.id} key={route.id} />;
    case "subjects":
      return <HeldSubjectsScreen api={api} id={route.id} key={route.id} />;
    case "replays":
      return <ReplaysScreen api={api} id={route.id} key={route.id} />;
    case "log":
      return <DeliveryLogScreen api={api} webhookId={route.id} key={route.id ?? ""} />;
    case "dead-letters":
      return <DeadLettersScreen api={api} />;
    case "rejected":
      return <RejectedScreen api={api} />;
  }
};

export const App = () => {
  const [key, setKey] = useState<string | undefined>(() => storedKey());
  const route = useRoute();
  const api = useMemo(() => (key === undefined ? undefined : makeApi(key)), [key]);
  if (api === undefined)
    return (
      <SignIn
        onSignedIn={(k) => {
          rememberKey(k);
          setKey(k);
        }}
      />
    );
  return (
    <>
      <header class="top">
        <a class="brand" href="#/webhooks">
          Dispatcher console
        </a>
        <nav aria-label="Screens">
          <ul>
            {NAV.map((item) => (
              <li key={item.label}>
                <a
                  href={href(item.route)}
                  aria-current={item.matches.includes(route.screen) ? "page" : undefined}
                >
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <button
          type="button"
          class="secondary"
          onClick={() => {
            forgetKey();
            setKey(undefined);
          }}
        >
          Sign out
        </button>
      </header>
      <main id="main">
        <Screen api={api} route={route} />
      </main>
    </>
  );
};
