/**
 * A browser opening the queue dashboard (/admin/queues, bull-board in the jobs service) sends no
 * Authorization header, so the gateway lets it carry the access token in a cookie instead:
 * GET /admin/queues/sign-in is a form for the token (an admin gets one from the `login` mutation),
 * its POST checks the token and sets it as an HttpOnly, SameSite=Strict cookie whose Path is
 * /admin/queues, then redirects to the board. The cookie is read on that path only: it never
 * authenticates /graphql, /upload or anything else, so a cross-site page cannot use it for a write,
 * and the board itself is read-only (GET only). Which role may see the board stays the jobs
 * service's decision; the gateway only verifies the token, as for every other request.
 *
 * The token is posted, not put in a `?token=` URL, so it does not land in history or access logs.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { ErrorCode, readBody, sendErrorResponse, verifyAccessToken, type AccessTokenSettings, type RouteHandler } from "@agora/platform";

export const adminBasePath = "/admin/queues";
export const adminSignInPath = `${adminBasePath}/sign-in`;
export const adminSignOutPath = `${adminBasePath}/sign-out`;
export const adminCookieName = "agora_admin_token";

/** An access token is a few hundred bytes; a form body far above that is not a sign-in. */
const signInBodyLimitBytes = 16 * 1024;

export interface AdminSessionOptions {
  accessTokens: AccessTokenSettings;
}

function cookieValue(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return undefined;
}

/** Secure when the browser reached us over TLS (directly, or through HAProxy's X-Forwarded-Proto). */
function cookie(req: IncomingMessage, value: string, maxAge?: number): string {
  const tls = (req.socket as { encrypted?: boolean }).encrypted === true || req.headers["x-forwarded-proto"] === "https";
  return [
    `${adminCookieName}=${encodeURIComponent(value)}`,
    `Path=${adminBasePath}`,
    "HttpOnly",
    "SameSite=Strict",
    ...(tls ? ["Secure"] : []),
    ...(maxAge === undefined ? [] : [`Max-Age=${maxAge}`]),
  ].join("; ");
}

const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

function sendSignInPage(res: ServerResponse, status: number, message?: string, headers: Record<string, string> = {}): void {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Agora queues: sign in</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem;max-width:40rem}textarea{width:100%;font-family:monospace}.err{color:#b00}</style>
</head><body>
<h1>Queue dashboard</h1>
<p>For admins. Paste an access token (the <code>accessToken</code> of the <code>login</code> mutation); it is kept in a cookie for this page only, until the browser closes or the token expires.</p>
${message ? `<p class="err" role="alert">${escapeHtml(message)}</p>` : ""}
<form method="post" action="${adminSignInPath}">
<label for="token">Access token</label><br>
<textarea id="token" name="token" rows="6" required autocomplete="off" spellcheck="false"></textarea><br>
<button type="submit">Sign in</button>
</form>
</body></html>`;
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "content-length": String(Buffer.byteLength(html)),
    "cache-control": "no-store",
    ...headers,
  });
  res.end(html);
}

const wantsHtml = (req: IncomingMessage) => /text\/html/.test(req.headers.accept ?? "");

/** A sign-in posted from another site's page (login CSRF) is refused: only our own form may set the cookie. */
function crossSite(req: IncomingMessage): boolean {
  if (req.headers["sec-fetch-site"] === "cross-site") return true;
  const origin = req.headers.origin;
  if (!origin || origin === "null") return false;
  try {
    return new URL(origin).host !== req.headers.host;
  } catch {
    return true;
  }
}

export function createAdminSession(options: AdminSessionOptions): {
  routes: Record<string, RouteHandler>;
  /** Wraps the proxy to the jobs service: the cookie stands in for a missing Authorization header. */
  withCookie(proxy: RouteHandler): RouteHandler;
} {
  const signIn: RouteHandler = async (req, res) => {
    if (crossSite(req)) return sendErrorResponse(res, ErrorCode.FORBIDDEN, "Sign in from the dashboard's own page.");
    let token = "";
    try {
      token = new URLSearchParams((await readBody(req, signInBodyLimitBytes)).toString("utf8")).get("token")?.trim() ?? "";
    } catch {
      res.setHeader("connection", "close");
      return sendSignInPage(res, 413, "That is too long to be an access token.");
    }
    if (!token) return sendSignInPage(res, 400, "Paste an access token.");
    try {
      await verifyAccessToken(token, options.accessTokens);
    } catch (error) {
      return sendSignInPage(res, 401, `That token was not accepted: ${(error as Error).message}`);
    }
    // 303: the browser follows with a GET, so reloading the board does not post the token again.
    res.writeHead(303, { location: `${adminBasePath}/`, "set-cookie": cookie(req, token), "cache-control": "no-store" });
    res.end();
  };
  const signOut: RouteHandler = (req, res) => {
    if (crossSite(req)) return sendErrorResponse(res, ErrorCode.FORBIDDEN, "Sign out from the dashboard's own page.");
    res.writeHead(303, { location: adminSignInPath, "set-cookie": cookie(req, "", 0), "cache-control": "no-store" });
    res.end();
  };
  return {
    routes: {
      [`GET ${adminSignInPath}`]: (_req, res) => sendSignInPage(res, 200),
      [`POST ${adminSignInPath}`]: signIn,
      [`POST ${adminSignOutPath}`]: signOut,
    },
    withCookie(proxy) {
      return async (req, res, url) => {
        if (!req.headers.authorization) {
          const token = cookieValue(req, adminCookieName);
          if (token) {
            try {
              await verifyAccessToken(token, options.accessTokens);
              req.headers.authorization = `Bearer ${token}`;
            } catch (error) {
              // Access tokens are short-lived: an expired one ends the session, and the browser is asked again.
              const clear = { "set-cookie": cookie(req, "", 0) };
              const message = `Your session has ended: ${(error as Error).message}`;
              if (wantsHtml(req)) return sendSignInPage(res, 401, message, clear);
              return sendErrorResponse(res, ErrorCode.UNAUTHENTICATED, message, { headers: clear });
            }
          } else if (wantsHtml(req)) {
            return sendSignInPage(res, 401);
          }
        }
        return proxy(req, res, url);
      };
    },
  };
}
