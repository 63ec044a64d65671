/**
 * What the page demo keeps of a page (tasks/pages.ts parsePage), read with htmlparser2 as a browser would
 * read the markup, not with regular expressions:
 *
 *   title      the first <title>'s text, whitespace collapsed, at most 300 characters (an <svg>'s own
 *              <title> is not the page's); null when there is none or it is empty
 *   wordCount  the words of the text a reader sees: outside <head>, <script>, <style>, <noscript>,
 *              <template>; a tag breaks a word unless it is an inline one (<b>x</b>y is one word); a word
 *              is a run of non-space characters with a letter or digit in it
 *   links      the targets of <a href> and <area href>, made absolute against the page's URL (or its
 *              <base href>), http and https only, without their #fragment, each once, the first
 *              MAX_LINKS in page order; linkCount counts them all
 */
import { Parser } from "htmlparser2";

export const MAX_LINKS = 100;
const MAX_TITLE = 300;

export interface PageSummary {
  title: string | null;
  wordCount: number;
  linkCount: number;
  links: string[];
}

const HIDDEN = new Set(["head", "script", "style", "noscript", "template"]);
const INLINE = new Set(["a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "del", "dfn", "em", "i", "ins", "kbd", "mark", "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var", "wbr"]);
const FOREIGN = new Set(["svg", "math"]);

const collapse = (text: string) => text.replace(/\s+/g, " ").trim();

/** `href` made absolute against `base`, without its fragment, when it is an http(s) URL; else null. */
function absoluteLink(href: string, base: string): string | null {
  let url: URL;
  try {
    url = new URL(href.trim(), base);
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  url.hash = "";
  return url.href;
}

/** The summary of `html`, the page found at `pageUrl` (its URL after redirects). */
export function summarisePage(html: string, pageUrl: string): PageSummary {
  let base = pageUrl;
  let baseSeen = false;
  let title: string | null = null;
  let titleText: string[] | null = null;
  let hidden = 0; // depth inside HIDDEN elements
  let foreign = 0; // depth inside svg/math
  const text: string[] = [];
  const links = new Set<string>();

  const parser = new Parser(
    {
      onopentag(name, attribs) {
        if (HIDDEN.has(name)) hidden++;
        if (FOREIGN.has(name)) foreign++;
        if (!INLINE.has(name)) text.push(" ");
        if (name === "title" && title === null && titleText === null && foreign === 0) titleText = [];
        if (name === "base" && !baseSeen && attribs.href !== undefined) {
          baseSeen = true;
          base = absoluteLink(attribs.href, pageUrl) ?? base;
        }
        if ((name === "a" || name === "area") && attribs.href !== undefined) {
          const link = absoluteLink(attribs.href, base);
          if (link) links.add(link);
        }
      },
      ontext(data) {
        if (titleText) titleText.push(data);
        else if (hidden === 0) text.push(data);
      },
      onclosetag(name) {
        if (HIDDEN.has(name)) hidden = Math.max(0, hidden - 1);
        if (FOREIGN.has(name)) foreign = Math.max(0, foreign - 1);
        if (!INLINE.has(name)) text.push(" ");
        if (name === "title" && titleText) {
          title = collapse(titleText.join("")).slice(0, MAX_TITLE) || null;
          titleText = null;
        }
      },
    },
    { decodeEntities: true },
  );
  parser.write(html);
  parser.end();

  const words = text.join("").split(/\s+/).filter((word) => /[\p{L}\p{N}]/u.test(word));
  const all = [...links];
  return { title, wordCount: words.length, linkCount: all.length, links: all.slice(0, MAX_LINKS) };
}
