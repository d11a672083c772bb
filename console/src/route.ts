import { useEffect, useState } from "preact/hooks";

/**
 * Screens are addressed by the URL's hash (#/webhooks, #/webhooks/<id>, #/webhooks/<id>/subjects,
 * #/webhooks/<id>/replays, #/log/<id>, #/dead-letters, #/rejected),
 * so the function serves one index.html and the browser's back button works. The key is never part of it.
 */
export type Route =
  | { screen: "webhooks" }
  | { screen: "webhook"; id: string }
  | { screen: "subjects"; id: string }
  | { screen: "replays"; id: string }
  | { screen: "log"; id?: string }
  | { screen: "dead-letters" }
  | { screen: "rejected" };

export const parseRoute = (hash: string): Route => {
  const [screen = "", id, part] = hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  switch (screen) {
    case "webhooks":
      if (id === undefined || id === "") return { screen: "webhooks" };
      return part === "subjects" || part === "replays" ? { screen: part, id } : { screen: "webhook", id };
    case "log":
      return id === undefined || id === "" ? { screen: "log" } : { screen: "log", id };
    case "dead-letters":
      return { screen: "dead-letters" };
    case "rejected":
      return { screen: "rejected" };
    default:
      return { screen: "webhooks" };
  }
};

export const href = (route: Route): string => {
  switch (route.screen) {
    case "webhooks":
      return "#/webhooks";
    case "webhook":
      return `#/webhooks/${encodeURIComponent(route.id)}`;
    case "subjects":
      return `#/webhooks/${encodeURIComponent(route.id)}/subjects`;
    case "replays":
      return `#/webhooks/${encodeURIComponent(route.id)}/replays`;
    case "log":
      return route.id === undefined ? "#/log" : `#/log/${encodeURIComponent(route.id)}`;
    case "dead-letters":
      return "#/dead-letters";
    case "rejected":
      return "#/rejected";
  }
};

export const useRoute = (): Route => {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener("hashchange", onChange);
    return () => removeEventListener("hashchange", onChange);
  }, []);
  return route;
};
