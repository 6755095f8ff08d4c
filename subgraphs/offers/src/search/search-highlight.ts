/**
 * Highlighted snippets. Engines wrap matched words in two control characters that cannot be typed
 * into an offer's text; here the text is HTML-escaped first and only then are the markers turned into
 * <mark>…</mark>, so a snippet is safe to insert as HTML whatever a seller wrote.
 */
export const markStart = "\u0002";
export const markEnd = "\u0003";

const escapes: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function markedHtml(text: string): string {
  return text
    .replace(/[&<>"']/g, (c) => escapes[c] ?? c)
    .replaceAll(markStart, "<mark>")
    .replaceAll(markEnd, "</mark>");
}
