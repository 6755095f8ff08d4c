/**
 * The sharp side of image processing, free of queues and rows. Every output is auto-oriented from
 * EXIF (rotate()) and carries no metadata: sharp drops EXIF, GPS, XMP and ICC unless told to keep
 * them (withMetadata/keepMetadata), which we never do, so a seller's location never leaks.
 */
import sharp, { type FormatEnum, type Sharp } from "sharp";
import { encode as encodeBlurhash } from "blurhash";

export interface VariantSpec {
  name: "original" | "medium" | "thumbnail";
  /** Longest side bound (fit inside, never enlarged); undefined keeps the size. */
  maxSize?: number;
}

/** Widths of the derived variants: fit inside a square box, so landscape images get exactly this width. */
export const variantSizes = { medium: 1024, thumbnail: 320 } as const;

export interface RenderedVariant {
  name: VariantSpec["name"];
  /** File name under images/<jobId>/ */
  file: string;
  data: Buffer;
  width: number;
  height: number;
  format: string;
  bytes: number;
}

export interface RenderedImage {
  variants: RenderedVariant[];
  dominantColor: string;
  blurhash: string | null;
}

/** Formats re-encoded as themselves; anything else (HEIF, SVG, ...) becomes PNG. */
const reencodable = new Set(["jpeg", "png", "webp", "gif", "avif", "tiff"]);
const extension: Record<string, string> = { jpeg: "jpg", png: "png", webp: "webp", gif: "gif", avif: "avif", tiff: "tiff" };

/** Thrown for input sharp cannot decode: deterministic, so retrying is pointless. */
export class UnreadableImageError extends Error {
  override name = "UnreadableImageError";
}

const hex = (value: number) => Math.round(value).toString(16).padStart(2, "0");

function encodeOriginal(image: Sharp, format: string): Sharp {
  switch (format) {
    case "jpeg":
      return image.jpeg({ quality: 85, mozjpeg: false });
    case "webp":
      return image.webp({ quality: 85 });
    default:
      return image.toFormat(format as keyof FormatEnum);
  }
}

/** The input format's re-encoding target and its file extension. */
export function originalFormat(inputFormat: string | undefined): { format: string; ext: string } {
  const format = inputFormat && reencodable.has(inputFormat) ? inputFormat : "png";
  return { format, ext: extension[format]! };
}

async function render(pipeline: Sharp, name: VariantSpec["name"], file: string): Promise<RenderedVariant> {
  const { data, info } = await pipeline.toBuffer({ resolveWithObject: true });
  return { name, file, data, width: info.width, height: info.height, format: info.format, bytes: data.length };
}

export async function renderImage(input: Buffer): Promise<RenderedImage> {
  let format: string | undefined;
  try {
    const metadata = await sharp(input).metadata();
    if (!metadata.width || !metadata.height) throw new Error("no dimensions");
    format = metadata.format;
  } catch (error) {
    throw new UnreadableImageError(`Not a readable image: ${(error as Error).message}`);
  }
  const original = originalFormat(format);
  const base = () => sharp(input).rotate();
  const bounded = (size: number) => base().resize(size, size, { fit: "inside", withoutEnlargement: true });
  let variants: RenderedVariant[];
  try {
    variants = await Promise.all([
      render(encodeOriginal(base(), original.format), "original", `original.${original.ext}`),
      render(bounded(variantSizes.medium).webp({ quality: 80 }), "medium", "medium.webp"),
      render(bounded(variantSizes.thumbnail).webp({ quality: 75 }), "thumbnail", "thumbnail.webp"),
    ]);
  } catch (error) {
    throw new UnreadableImageError(`The image could not be decoded: ${(error as Error).message}`);
  }
  // Colour and blurhash from the thumbnail: the same answer as from the original, at a fraction of the cost.
  const thumbnail = variants[2]!.data;
  const { dominant } = await sharp(thumbnail).stats();
  return { variants, dominantColor: `#${hex(dominant.r)}${hex(dominant.g)}${hex(dominant.b)}`, blurhash: await blurhashOf(thumbnail) };
}

async function blurhashOf(image: Buffer): Promise<string | null> {
  try {
    const { data, info } = await sharp(image).resize(32, 32, { fit: "inside" }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    return encodeBlurhash(new Uint8ClampedArray(data.buffer, data.byteOffset, data.length), info.width, info.height, 4, 3);
  } catch {
    return null;
  }
}
