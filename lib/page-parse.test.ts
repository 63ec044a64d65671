import { describe, expect, it } from "vitest";
import { MAX_LINKS, summarisePage } from "./page-parse";

const at = "https://example.com/docs/guide/intro.html?x=1";

describe("summarisePage", () => {
  it("reads the title, the visible words and the links", () => {
    const html = `<!doctype html><html><head><title>  The
      Guide  &amp; more </title><style>p { color: red }</style><script>var hidden = "not words";</script></head>
      <body><h1>Intro</h1><p>Two <b>bold</b> words, and caf&eacute; is one.</p>
      <a href="next.html">next</a> <a href="/about#team">about</a> <a href="https://other.example/">other</a></body></html>`;
    expect(summarisePage(html, at)).toEqual({
      title: "The Guide & more",
      wordCount: 11, // Intro Two bold words, and café is one. next about other
      linkCount: 3,
      links: ["https://example.com/docs/guide/next.html", "https://example.com/about", "https://other.example/"],
    });
  });

  it("an inline tag does not break a word; a block tag does", () => {
    expect(summarisePage("<p>un<b>break</b>able</p><p>two</p><div>words</div>", at).wordCount).toBe(3);
    expect(summarisePage("<ul><li>a</li><li>b</li></ul>line<br>break", at).wordCount).toBe(4);
  });

  it("counts only words with a letter or digit", () => {
    expect(summarisePage("<p>one — two … 3 · ¶</p>", at).wordCount).toBe(3);
  });

  it("keeps http(s) links only, each once (without fragment), in page order", () => {
    const html = `<a href="mailto:x@example.com">m</a><a href="javascript:alert(1)">j</a><a href="tel:123">t</a>
      <a href="#top">top</a><a href="/a">a</a><a href="/a#b">a again</a><a href=" /b ">b</a><a>no href</a>
      <map><area href="/c"></map><a href="http://[bad">bad</a><a href="ftp://example.com/f">ftp</a>`;
    expect(summarisePage(html, at).links).toEqual(["https://example.com/docs/guide/intro.html?x=1", "https://example.com/a", "https://example.com/b", "https://example.com/c"]);
  });

  it("resolves against the page's <base href>", () => {
    const html = `<head><base href="https://cdn.example/root/"></head><a href="page">p</a><a href="/top">t</a>`;
    expect(summarisePage(html, at).links).toEqual(["https://cdn.example/root/page", "https://cdn.example/top"]);
  });

  it(`keeps the first ${MAX_LINKS} links and counts them all`, () => {
    const html = Array.from({ length: 150 }, (_, i) => `<a href="/p${i}">${i}</a>`).join("");
    const { links, linkCount } = summarisePage(html, at);
    expect(linkCount).toBe(150);
    expect(links).toHaveLength(MAX_LINKS);
    expect(links.at(-1)).toBe(`https://example.com/p${MAX_LINKS - 1}`);
  });

  it("no title, or an empty one, is null; an <svg>'s title is not the page's", () => {
    expect(summarisePage("<p>text</p>", at).title).toBeNull();
    expect(summarisePage("<title>  </title>", at).title).toBeNull();
    expect(summarisePage("<body><svg><title>icon</title></svg><title>Real</title></body>", at).title).toBe("Real");
    expect(summarisePage(`<title>${"x".repeat(400)}</title>`, at).title).toHaveLength(300);
  });

  it("reads plain text and broken markup without failing", () => {
    expect(summarisePage("just some words here", at)).toEqual({ title: null, wordCount: 4, linkCount: 0, links: [] });
    expect(summarisePage("<p>unclosed <b>tags <a href='/x'>link", at)).toMatchObject({ wordCount: 3, links: ["https://example.com/x"] });
  });
});
