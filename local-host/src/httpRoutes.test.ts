import type { CapturedFunction } from "./functionsCore";
import { resolveConstraint } from "./httpRouteConstraints";
import { compileRoute, compileRoutes, matchRoute } from "./httpRoutes";

/** Route templates, constraints and precedence as ASP.NET Core routing (and so the Functions host) applies them. */
const fn = (name: string, trigger: Record<string, unknown> = {}): CapturedFunction => ({
  name,
  metadata: { name, bindings: {} },
  callback: () => undefined,
  trigger: { type: "httpTrigger", name: "request", methods: ["GET"], ...trigger },
});

const routesOf = (...fns: CapturedFunction[]) => compileRoutes(fns, "api");
const match = (routes: ReturnType<typeof routesOf>, path: string, method = "GET") => {
  const found = matchRoute(routes, method, path);
  return found.kind === "match" ? { fn: found.route.fn.name, params: found.params } : found.kind;
};

describe("route constraints", () => {
  it.each([
    ["int", ["0", "-42", "+7", "2147483647", "-2147483648"], ["abc", "1.5", "2147483648", "", "1e3", "0x1"]],
    ["long", ["9223372036854775807", "-9223372036854775808"], ["9223372036854775808", "1.0", "x"]],
    ["alpha", ["abc", "ABCdef"], ["abc1", "é", "a-b"]],
    ["bool", ["true", "False", "TRUE"], ["yes", "1", "truee"]],
    [
      "datetime",
      ["2024-02-29", "2024-01-31T10:00", "2024-01-31T10:00:59.123Z", "2024-01-31T10:00+02:00"],
      ["2023-02-29", "2024-13-01", "yesterday", "1"],
    ],
    ["decimal", ["1", "-1.5", "1,000.25", ".5", "5-"], ["1e5", "abc", "-", "1.2.3", "-5-"]],
    ["double", ["1", "-1.5e10", ".5", "1,000", "Infinity", "NaN"], ["e5", "1..2", "abc", "--1"]],
    ["float", ["3.25", "1E-3"], ["x1"]],
    [
      "guid",
      [
        "0f8fad5b-d9cb-469f-a165-70867728950e",
        "0F8FAD5BD9CB469FA16570867728950E",
        "{0f8fad5b-d9cb-469f-a165-70867728950e}",
        "(0f8fad5b-d9cb-469f-a165-70867728950e)",
      ],
      ["0f8fad5b-d9cb-469f-a165-70867728950", "not-a-guid", "{0f8fad5b-d9cb-469f-a165-70867728950e)"],
    ],
    ["minlength(3)", ["abc", "abcdef"], ["ab"]],
    ["maxlength(3)", ["abc", "a"], ["abcd"]],
    ["length(3)", ["abc"], ["ab", "abcd"]],
    ["length(2,4)", ["ab", "abcd"], ["a", "abcde"]],
    ["min(10)", ["10", "11", "+99"], ["9", "-10", "ten"]],
    ["max(10)", ["10", "-5"], ["11", "ten"]],
    ["range(5,10)", ["5", "10", "7"], ["4", "11", "5.5"]],
    ["regex(^\\d{{3}}-\\d{{4}}$)", ["555-1234"], ["5551234", "555-12345"]],
    ["regex(ab)", ["xABy", "ab"], ["a-b"]],
  ])("%s accepts %j and refuses %j", (constraint, good, bad) => {
    const routes = routesOf(fn("c", { route: `c/{v:${constraint}}` }));
    for (const value of good)
      expect({ value, result: match(routes, `/api/c/${encodeURIComponent(value)}`) }).toEqual({
        value,
        result: { fn: "c", params: { v: value } },
      });
    for (const value of bad)
      expect({ value, result: match(routes, `/api/c/${encodeURIComponent(value)}`) }).toEqual({
        value,
        result: "none",
      });
  });

  it("applies every constraint of a parameter (int:min(1))", () => {
    const routes = routesOf(fn("c", { route: "c/{id:int:min(1)}" }));
    expect(match(routes, "/api/c/1")).toEqual({ fn: "c", params: { id: "1" } });
    expect(match(routes, "/api/c/0")).toBe("none");
  });

  it("resolves constraint names case-insensitively and refuses unknown ones and bad arguments", () => {
    expect(resolveConstraint("INT")("5")).toBe(true);
    expect(() => resolveConstraint("slug")).toThrow('unknown route constraint "slug"');
    expect(() => resolveConstraint("length(a)")).toThrow("not a whole number");
    expect(() => resolveConstraint("range(1)")).toThrow("takes 2 argument(s)");
    expect(() => resolveConstraint("regex(()")).toThrow();
  });

  it("refuses at compile time a route with an unknown constraint, naming the function and the constraint", () => {
    expect(() => compileRoute(fn("getItem", { route: "items/{id:number}" }), "api")).toThrow(
      'Function "getItem": route "items/{id:number}": parameter "id": unknown route constraint "number"',
    );
  });
});

describe("route templates", () => {
  it("matches an optional parameter with or without its segment, and checks its constraint only when present", () => {
    const routes = routesOf(fn("items", { route: "items/{id:int?}" }));
    expect(match(routes, "/api/items")).toEqual({ fn: "items", params: {} });
    expect(match(routes, "/api/items/5")).toEqual({ fn: "items", params: { id: "5" } });
    expect(match(routes, "/api/items/x")).toBe("none");
  });

  it("gives a missing parameter its default value, which the constraints must accept", () => {
    const routes = routesOf(fn("page", { route: "page/{n:int=1}" }));
    expect(match(routes, "/api/page")).toEqual({ fn: "page", params: { n: "1" } });
    expect(match(routes, "/api/page/3")).toEqual({ fn: "page", params: { n: "3" } });
    expect(match(routesOf(fn("bad", { route: "bad/{n:int=x}" })), "/api/bad")).toBe("none");
  });

  it("does not skip a parameter in the middle of the template", () => {
    const routes = routesOf(fn("mid", { route: "a/{x?}/b" }));
    expect(match(routes, "/api/a/b")).toBe("none");
    expect(match(routes, "/api/a/1/b")).toEqual({ fn: "mid", params: { x: "1" } });
  });

  it("takes the rest of the path in a catch-all, which may be empty", () => {
    const routes = routesOf(
      fn("files", { route: "files/{*path}" }),
      fn("docs", { route: "docs/{**rest=index}" }),
    );
    expect(match(routes, "/api/files/a/b/c.txt")).toEqual({ fn: "files", params: { path: "a/b/c.txt" } });
    expect(match(routes, "/api/files")).toEqual({ fn: "files", params: {} });
    expect(match(routes, "/api/docs")).toEqual({ fn: "docs", params: { rest: "index" } });
  });

  it("matches complex segments, literals case-insensitively, decoded values and a trailing slash", () => {
    const routes = routesOf(fn("file", { route: "Files/{name}.{ext:alpha}" }));
    expect(match(routes, "/API/files/report.v2.PDF/")).toEqual({
      fn: "file",
      params: { name: "report.v2", ext: "PDF" },
    });
    expect(match(routes, "/api/files/report.7z")).toBe("none");
    expect(match(routesOf(fn("item", { route: "item/{id}" })), "/api/item/a%20b%2Fc")).toEqual({
      fn: "item",
      params: { id: "a b%2Fc" },
    });
  });

  it("prefers literal segments, then constrained parameters, then plain ones, then catch-alls", () => {
    const routes = routesOf(
      fn("catchAll", { route: "things/{*rest}" }),
      fn("plain", { route: "things/{name}" }),
      fn("constrained", { route: "things/{id:int}" }),
      fn("literal", { route: "things/new" }),
    );
    expect(match(routes, "/api/things/new")).toMatchObject({ fn: "literal" });
    expect(match(routes, "/api/things/12")).toMatchObject({ fn: "constrained" });
    expect(match(routes, "/api/things/abc")).toMatchObject({ fn: "plain" });
    expect(match(routes, "/api/things/a/b")).toMatchObject({ fn: "catchAll" });
  });

  it("defaults the route to the function name under the prefix, with the prefix's slashes trimmed", () => {
    expect(match(compileRoutes([fn("hello")], "/v1/"), "/v1/hello")).toMatchObject({ fn: "hello" });
    expect(match(compileRoutes([fn("hello")], ""), "/hello")).toMatchObject({ fn: "hello" });
    expect(match(compileRoutes([fn("hello")], ""), "/api/hello")).toBe("none");
  });

  it.each([
    ["a/{id}/{ID}", "appears more than once"],
    ["a/{*rest}/b", "catch-all parameter must be the last segment"],
    ["a/{x?=1}", "has no valid parameter name"],
    ["a/{x=1?}", "cannot have a default value"],
    ["a/{a}{b}", "two consecutive parameters"],
    ["a/{x", 'unclosed "{"'],
    ["a//b", "empty segment"],
  ])("refuses the template %s (%s)", (route, reason) => {
    expect(() => compileRoute(fn("bad", { route }), "api")).toThrow(reason);
  });
});

describe("methods and auth levels", () => {
  it("compares methods case-insensitively, accepts every method when none are named, and lists Allow", () => {
    const routes = routesOf(
      fn("lower", { route: "x", methods: ["get", "Put"] }),
      fn("any", { route: "y", methods: undefined }),
    );
    expect(match(routes, "/api/x", "PUT")).toMatchObject({ fn: "lower" });
    expect(matchRoute(routes, "DELETE", "/api/x")).toEqual({
      kind: "method-not-allowed",
      allow: ["GET", "PUT"],
    });
    for (const method of ["GET", "POST", "PATCH", "DELETE", "OPTIONS", "HEAD"])
      expect(match(routes, "/api/y", method)).toMatchObject({ fn: "any" });
  });

  it("tries the next route when a constraint fails, so only a real path match can be method-not-allowed", () => {
    const routes = routesOf(
      fn("byId", { route: "r/{id:int}", methods: ["DELETE"] }),
      fn("byName", { route: "r/{name}" }),
    );
    expect(match(routes, "/api/r/abc", "GET")).toMatchObject({ fn: "byName" });
    expect(match(routes, "/api/r/12", "DELETE")).toMatchObject({ fn: "byId" });
  });

  it("reads authLevel case-insensitively, defaults it to anonymous and refuses unknown levels", () => {
    expect(compileRoute(fn("a", { authLevel: "Function" }), "api").authLevel).toBe("function");
    expect(compileRoute(fn("b"), "api").authLevel).toBe("anonymous");
    expect(() => compileRoute(fn("c", { authLevel: "system" }), "api")).toThrow(
      'Function "c": authLevel "system" is not supported',
    );
  });
});
