import { getOption, hasOption, type DescMessage, type DescMethodUnary, type DescService } from "@bufbuild/protobuf";
import { http } from "@tally/sdk/gen/google/api/annotations_pb.js";
import type { HttpRule } from "@tally/sdk/gen/google/api/http_pb.js";
import { matchPathTemplate as matchTemplate, parsePathTemplate, type PathTemplate } from "./path-template.js";

/** One REST binding of a unary RPC, read from its `google.api.http` option. */
export interface RestRoute {
  readonly httpMethod: string;
  readonly template: PathTemplate;
  readonly method: DescMethodUnary<DescMessage, DescMessage>;
  /** `""` no body, `"*"` the whole request, else a top-level request field's name. */
  readonly body: string;
  /** `""` the whole response, else a top-level response field's name. */
  readonly responseBody: string;
}

/** Reads every binding (and additional binding) of every unary method of the services. */
export function routesFromServices(services: readonly DescService[]): RestRoute[] {
  const out: RestRoute[] = [];
  for (const service of services) {
    for (const method of service.methods) {
      if (method.methodKind !== "unary" || !hasOption(method, http)) continue;
      const rule = getOption(method, http);
      for (const r of [rule, ...rule.additionalBindings])
        out.push(toRoute(method as DescMethodUnary<DescMessage, DescMessage>, r));
    }
  }
  return out;
}

function toRoute(method: DescMethodUnary<DescMessage, DescMessage>, rule: HttpRule): RestRoute {
  const p = rule.pattern;
  let httpMethod: string;
  let path: string;
  switch (p.case) {
    case "get":
    case "put":
    case "post":
    case "delete":
    case "patch":
      httpMethod = p.case.toUpperCase();
      path = p.value;
      break;
    case "custom":
      httpMethod = p.value.kind.toUpperCase();
      path = p.value.path;
      break;
    default:
      throw new Error(`${method.parent.typeName}.${method.name}: http rule without a pattern`);
  }
  return { httpMethod, template: parsePathTemplate(path), method, body: rule.body, responseBody: rule.responseBody };
}

/** A request matched to a route, with its path variables. */
export interface RouteMatch {
  readonly route: RestRoute;
  readonly pathParams: Map<string, string>;
}

/** Finds the route for a request; the most literal template wins. `allowed` lists methods of a path match. */
export class RouteTable {
  constructor(readonly routes: readonly RestRoute[]) {}

  match(httpMethod: string, rawPath: string): { match?: RouteMatch; allowed: string[] } {
    let best: RouteMatch | undefined;
    const allowed = new Set<string>();
    const m = httpMethod === "HEAD" ? "GET" : httpMethod;
    for (const route of this.routes) {
      const bound = matchTemplate(route.template, rawPath);
      if (!bound) continue;
      allowed.add(route.httpMethod);
      if (route.httpMethod !== m) continue;
      if (!best || route.template.literalCount > best.route.template.literalCount) best = { route, pathParams: bound };
    }
    return { match: best, allowed: [...allowed].sort() };
  }
}
