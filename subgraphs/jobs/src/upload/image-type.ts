/**
 * The real type of an upload, from its first bytes (magic numbers): the file name and the declared
 * Content-Type are the client's word and are ignored. Only the formats the image pipeline handles.
 */
export type ImageExtension = "jpg" | "png" | "webp" | "avif" | "gif";

export interface ImageType {
  ext: ImageExtension;
  mime: string;
}

/** Bytes needed to decide (the ftyp box of an AVIF lists its brands in the first few dozen). */
export const sniffLength = 64;

const startsWith = (head: Buffer, bytes: number[], offset = 0) =>
  head.length >= offset + bytes.length && bytes.every((b, i) => head[offset + i] === b);
const ascii = (head: Buffer, start: number, end: number) => head.subarray(start, end).toString("latin1");

function isAvif(head: Buffer): boolean {
  if (head.length < 16 || ascii(head, 4, 8) !== "ftyp") return false;
  const avifBrands = new Set(["avif", "avis"]);
  if (avifBrands.has(ascii(head, 8, 12))) return true;
  // Major brand mif1/msf1 with avif among the compatible brands (after the minor version).
  const boxSize = Math.min(head.readUInt32BE(0), head.length);
  for (let offset = 16; offset + 4 <= boxSize; offset += 4) {
    if (avifBrands.has(ascii(head, offset, offset + 4))) return true;
  }
  return false;
}

/** The image type of a file starting with `head`, or null when it is not one we accept. */
export function sniffImageType(head: Buffer): ImageType | null {
  if (startsWith(head, [0xff, 0xd8, 0xff])) return { ext: "jpg", mime: "image/jpeg" };
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { ext: "png", mime: "image/png" };
  if (ascii(head, 0, 6) === "GIF87a" || ascii(head, 0, 6) === "GIF89a") return { ext: "gif", mime: "image/gif" };
  if (ascii(head, 0, 4) === "RIFF" && ascii(head, 8, 12) === "WEBP") return { ext: "webp", mime: "image/webp" };
  if (isAvif(head)) return { ext: "avif", mime: "image/avif" };
  return null;
}
