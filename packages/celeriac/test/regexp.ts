/** `text` as a regular expression source that matches it literally (for expected messages that hold URLs). */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
