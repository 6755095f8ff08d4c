/** How files under STORAGE_DIR are named on the web: PUBLIC_BASE_URL + /files/<relative path>. */
import { extname } from "node:path";

export const filesRoutePrefix = "/files/";

/** The public URL of a relative storage path (each segment percent-encoded). */
export function publicFileUrl(publicBaseUrl: string, relativePath: string): string {
  const encoded = relativePath.split("/").filter(Boolean).map(encodeURIComponent).join("/");
  return `${publicBaseUrl.replace(/\/+$/, "")}${filesRoutePrefix}${encoded}`;
}

const contentTypes: Record<string, string> = {
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".png": "image/png",
  ".webp": "image/webp",
  ".avif": "image/avif",
  ".gif": "image/gif",
  ".csv": "text/csv; charset=utf-8",
  ".json": "application/json; charset=utf-8",
};

/** Content-Type by extension; anything unknown is served as bytes (never sniffed as HTML). */
export function contentTypeFor(path: string): string {
  return contentTypes[extname(path).toLowerCase()] ?? "application/octet-stream";
}
