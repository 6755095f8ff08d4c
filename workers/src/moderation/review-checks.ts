/**
 * Automatic review moderation: sentiment from the AFINN lexicon (`sentiment`), profanity from the
 * Shutterstock list (`leo-profanity`), and three cheap spam signals. Any flag rejects the review;
 * a moderator can still approve it by hand (moderateReview).
 */
import Sentiment from "sentiment";
import profanity from "leo-profanity";

export type ModerationFlag = "profanity" | "links" | "repeated-characters" | "all-caps";

export interface ReviewVerdict {
  status: "APPROVED" | "REJECTED";
  /** -1 (negative) .. 1 (positive) */
  sentiment: number;
  flags: ModerationFlag[];
}

const analyzer = new Sentiment();

/** More links than this in one review reads as spam. */
export const maxLinks = 2;
/** The same character this many times in a row ("!!!!!!!!", "soooooooooo") reads as spam. */
export const repeatedRun = 8;
/** Shouting: at least this many letters, (almost) all upper case. */
const capsMinLetters = 12;
const capsRatio = 0.9;

/**
 * AFINN scores words -5..5 and `comparative` is the score per token, so it lies in -5..5: divide
 * by 5 for -1..1 (clamped against rounding), three decimals.
 */
export function sentimentOf(text: string): number {
  const { comparative } = analyzer.analyze(text);
  const normalised = Math.max(-1, Math.min(1, comparative / 5));
  return Math.round(normalised * 1000) / 1000 + 0; // + 0 turns -0 into 0
}

export function spamFlags(text: string): ModerationFlag[] {
  const flags: ModerationFlag[] = [];
  const links = text.match(/\bhttps?:\/\/\S+|\bwww\.\S+/gi) ?? [];
  if (links.length > maxLinks) flags.push("links");
  if (new RegExp(`(\\S)\\1{${repeatedRun - 1},}`, "u").test(text)) flags.push("repeated-characters");
  const letters = text.replace(/[^\p{L}]/gu, "");
  const upper = letters.replace(/[^\p{Lu}]/gu, "").length;
  if (letters.length >= capsMinLetters && upper / letters.length >= capsRatio) flags.push("all-caps");
  return flags;
}

export function checkReview(body: string): ReviewVerdict {
  const flags: ModerationFlag[] = [];
  if (profanity.check(body)) flags.push("profanity");
  flags.push(...spamFlags(body));
  return { status: flags.length ? "REJECTED" : "APPROVED", sentiment: sentimentOf(body), flags };
}
