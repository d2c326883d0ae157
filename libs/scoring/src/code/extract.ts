/** One fenced block of a Markdown response. */
export interface CodeBlock {
  lang: string;
  body: string;
}

const PYTHON_LANGS = new Set(['', 'python', 'py', 'python3', 'py3']);

/** Drops a <think>…</think> block the server did not split off (an unterminated one takes everything after it). */
export function stripThinking(text: string): string {
  return text.replace(/<think>[\s\S]*?(<\/think>|$)/g, '');
}

/** The fenced blocks (``` or ~~~) of a response; an unterminated last fence runs to the end (a truncated answer). */
export function fencedBlocks(text: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  // A fence opens a line; the block ends at a line holding only the same fence, or at the end of the text.
  const re = /^[ \t]*(```|~~~)[ \t]*([\w+#.-]*)[^\n]*\n([\s\S]*?)(?:^[ \t]*\1[ \t]*$|(?![\s\S]))/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    blocks.push({ lang: m[2].toLowerCase(), body: m[3].replace(/\n$/, '') });
    if (m[0].length === 0) re.lastIndex++;
  }
  return blocks;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** True when the code defines `name` at top level (`def name(` or `async def name(` at column 0). */
export function definesFunction(code: string, name: string): boolean {
  return new RegExp(`^(?:async[ \\t]+)?def[ \\t]+${escapeRegex(name)}[ \\t]*\\(`, 'm').test(code);
}

/** How the code was found in a response. */
export type CodeSource = 'fenced' | 'raw';

export interface ExtractedCode {
  code: string;
  source: CodeSource;
  blocks: number;
}

function longest(blocks: readonly CodeBlock[]): CodeBlock {
  return blocks.reduce((best, b) => (b.body.length > best.body.length ? b : best));
}

/**
 * The code of a chat response: among the Python (or unlabeled) fenced blocks, the longest one that
 * defines `entryPoint`, else the longest block; without fences, the whole text. Null when nothing
 * but whitespace is left.
 */
export function extractCode(response: string, entryPoint?: string): ExtractedCode | null {
  const text = stripThinking(response);
  const blocks = fencedBlocks(text);
  const python = blocks.filter((b) => PYTHON_LANGS.has(b.lang));
  const candidates = python.length > 0 ? python : blocks;
  if (candidates.length === 0) return text.trim() ? { code: text, source: 'raw', blocks: 0 } : null;
  const defining = entryPoint ? candidates.filter((b) => definesFunction(b.body, entryPoint)) : [];
  const chosen = longest(defining.length > 0 ? defining : candidates);
  return chosen.body.trim() ? { code: chosen.body, source: 'fenced', blocks: blocks.length } : null;
}

/** Names of the top-level functions a piece of code defines, in order. */
export function topLevelFunctions(code: string): string[] {
  return [...code.matchAll(/^(?:async[ \t]+)?def[ \t]+([A-Za-z_]\w*)[ \t]*\(/gm)].map((m) => m[1]);
}

/** The function MBPP's tests call: the first top-level function of the reference code the tests mention. */
export function mbppEntryPoint(referenceCode: string, tests: readonly string[]): string | undefined {
  const joined = tests.join('\n');
  return topLevelFunctions(referenceCode).find((name) => new RegExp(`\\b${escapeRegex(name)}\\s*\\(`).test(joined));
}
