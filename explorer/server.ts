/**
 * The web server (node:http, 127.0.0.1 by default): HTML pages and a JSON API under /api/. Every route
 * validates its input first: a malformed id or hash is a 400 page, an unknown one a 404 page, an
 * unexpected failure a 500 page with a short message; never a stack trace.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Logger } from "./explorer.js";
import { ExplorerError } from "./errors.js";
import type { Html } from "./html.js";
import { page } from "./html.js";
import {
  disputesPage,
  errorPage,
  modelPage,
  networkPage,
  operatorPage,
  powerPage,
  requestPage,
} from "./pages.js";
import type { Views } from "./views.js";

export interface ServerOptions {
  views: Views;
  chainId: bigint;
  host: string;
  port: number;
  logger?: Logger;
}

/** JSON with uint256 values as decimal strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 1);
}

type Route = {
  html: (arg: string) => Promise<{ title: string; body: Html }>;
  json: (arg: string) => Promise<unknown>;
};

export function routes(views: Views): Record<string, Route> {
  return {
    "": {
      html: async () => ({ title: "Network", body: networkPage(await views.network()) }),
      json: () => views.network(),
    },
    network: {
      html: async () => ({ title: "Network", body: networkPage(await views.network()) }),
      json: () => views.network(),
    },
    request: {
      html: async (id) => ({ title: `Request #${id}`, body: requestPage(await views.request(id)) }),
      json: async (id) => {
        const v = await views.request(id);
        return {
          summary: v.summary,
          verified: v.audit?.verification.ok ?? false,
          checks: v.audit?.verification.checks ?? [],
          auditError: v.auditError,
          trail: v.audit
            ? {
                answers: v.audit.trail.answers,
                disagreements: v.audit.trail.disagreements,
                settlement: v.audit.trail.settlement,
                slashes: v.audit.trail.slashes,
                jails: v.audit.trail.jails,
                status: v.audit.trail.status,
              }
            : undefined,
          dispute: v.dispute,
          events: v.events,
        };
      },
    },
    operator: {
      html: async (a) => ({ title: `Operator ${a}`, body: operatorPage(await views.operator(a)) }),
      json: (a) => views.operator(a),
    },
    model: {
      html: async (h) => ({ title: `Model ${h}`, body: modelPage(await views.model(h)) }),
      json: (h) => views.model(h),
    },
    disputes: {
      html: () => Promise.resolve({ title: "Disputes", body: disputesPage(views.disputes()) }),
      json: () => Promise.resolve(views.disputes()),
    },
    power: {
      html: async () => ({ title: "Power", body: powerPage(await views.power()) }),
      json: () => views.power(),
    },
  };
}

const API_INDEX = {
  endpoints: [
    "/api/network",
    "/api/request/{id}",
    "/api/operator/{address}",
    "/api/model/{hash}",
    "/api/disputes",
    "/api/power",
    "/api/search?q={request id | address | model hash | tx hash}",
    "/api/status",
  ],
};

export function handler(opts: ServerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const table = routes(opts.views);
  const meta = (): { chainId: string; indexed: number | undefined } => ({
    chainId: opts.chainId.toString(),
    indexed: opts.views.q.cursor()?.block,
  });
  return (req, res) => {
    const started = Date.now();
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://explorer.local");
    } catch {
      url = new URL("http://explorer.local/%00bad");
    }
    const parts = url.pathname
      .split("/")
      .filter(Boolean)
      .map((p) => {
        try {
          return decodeURIComponent(p);
        } catch {
          return p;
        }
      });
    const api = parts[0] === "api";
    const rest = api ? parts.slice(1) : parts;
    const send = (status: number, type: string, body: string, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { "content-type": type, "cache-control": "no-store", ...headers });
      res.end(body);
      opts.logger?.debug(`${req.method} ${url.pathname} ${status} ${Date.now() - started} ms`);
    };
    const fail = (err: unknown): void => {
      const known = err instanceof ExplorerError;
      const status = known ? err.status : 500;
      const message = known ? err.message : "The explorer could not build this page. Try again in a moment.";
      if (!known) opts.logger?.error(`${url.pathname}: ${err instanceof Error ? err.message : String(err)}`);
      if (api)
        send(
          status,
          "application/json; charset=utf-8",
          toJson({ error: { code: known ? err.code : "INTERNAL", message } }),
        );
      else send(status, "text/html; charset=utf-8", page(`${status}`, errorPage(status, message), meta()));
    };
    const run = async (): Promise<void> => {
      if (req.method !== "GET" && req.method !== "HEAD")
        throw new ExplorerError("BAD_INPUT", "Only GET is served.", 405);
      const [name = "", arg, extra] = rest;
      if (api && name === "") return send(200, "application/json; charset=utf-8", toJson(API_INDEX));
      if (api && name === "status")
        return send(
          200,
          "application/json; charset=utf-8",
          toJson({ chainId: opts.chainId, cursor: opts.views.q.cursor(), ...opts.views.q.counts() }),
        );
      if (name === "search") {
        const target = await opts.views.search(url.searchParams.get("q") ?? "");
        if (api) return send(200, "application/json; charset=utf-8", toJson(target));
        return send(302, "text/plain", "", { location: `/${target.kind}/${target.id}` });
      }
      const route = table[name];
      const needsArg = ["request", "operator", "model"].includes(name);
      if (
        route === undefined ||
        extra !== undefined ||
        (needsArg && arg === undefined) ||
        (!needsArg && arg !== undefined)
      )
        throw new ExplorerError("NOT_FOUND", `There is no page at ${url.pathname.slice(0, 100)}.`, 404);
      if (api) return send(200, "application/json; charset=utf-8", toJson(await route.json(arg ?? "")));
      const { title, body } = await route.html(arg ?? "");
      return send(200, "text/html; charset=utf-8", page(title, body, meta()));
    };
    run().catch(fail);
  };
}

/** Starts listening; resolves with the server and its URL. */
export function startServer(opts: ServerOptions): Promise<{ server: Server; url: string }> {
  const server = createServer(handler(opts));
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      const a = server.address();
      const port = typeof a === "object" && a !== null ? a.port : opts.port;
      resolve({ server, url: `http://${opts.host}:${port}` });
    });
  });
}
