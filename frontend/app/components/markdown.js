// Markdown as people write it in descriptions and comments, with raw HTML off: markdown-it
// escapes any HTML in the text, only http(s) URLs become links (opened with noopener), and
// images are not loaded.
import MarkdownIt from "markdown-it";
import { html, safeUrl } from "../html.js";

const md = new MarkdownIt({ html: false, linkify: true, breaks: true });
md.validateLink = (url) => safeUrl(url) !== null;
md.disable(["image"]);
const defaultLink = md.renderer.rules.link_open || ((tokens, i, options, env, self) => self.renderToken(tokens, i, options));
md.renderer.rules.link_open = (tokens, i, options, env, self) => {
  tokens[i].attrSet("target", "_blank");
  tokens[i].attrSet("rel", "noopener noreferrer");
  return defaultLink(tokens, i, options, env, self);
};

export function Markdown({ text }) {
  if (!text) return html`<p class="muted">Nothing written yet.</p>`;
  return html`<div class="markdown" dangerouslySetInnerHTML=${{ __html: md.render(text) }} />`;
}
