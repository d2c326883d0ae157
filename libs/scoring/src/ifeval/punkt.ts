/**
 * Port of NLTK's PunktSentenceTokenizer (nltk/tokenize/punkt.py, NLTK 3.8.2+ with the ReDoS-safe
 * `_match_potential_end_contexts`), used by IFEval's count_sentences, with NLTK's trained English
 * parameters (punkt-english.ts).
 */
import { ABBREVIATIONS, COLLOCATIONS, orthoContext, SENT_STARTERS } from './punkt-english';
import { pyIsLower, pyIsUpper, pyRe, pyRstrip, pyStrip, pySub } from './py';

const ORTHO_BEG_UC = 1 << 1;
const ORTHO_MID_UC = 1 << 2;
const ORTHO_UNK_UC = 1 << 3;
const ORTHO_BEG_LC = 1 << 4;
const ORTHO_MID_LC = 1 << 5;
const ORTHO_UNK_LC = 1 << 6;
const ORTHO_UC = ORTHO_BEG_UC + ORTHO_MID_UC + ORTHO_UNK_UC;
const ORTHO_LC = ORTHO_BEG_LC + ORTHO_MID_LC + ORTHO_UNK_LC;

/** The learned parameters of a Punkt model. */
export interface PunktParameters {
  abbrevTypes: ReadonlySet<string>;
  collocations: ReadonlySet<string>;
  sentStarters: ReadonlySet<string>;
  orthoContext(type: string): number;
}

/** NLTK's English model (english.pickle). */
export const ENGLISH_PARAMETERS: PunktParameters = {
  abbrevTypes: ABBREVIATIONS,
  collocations: COLLOCATIONS,
  sentStarters: SENT_STARTERS,
  orthoContext,
};

// PunktLanguageVars, written without VERBOSE.
const SENT_END_CHARS = ['.', '?', '!'];
const NON_WORD = `(?:[)\\";}\\]\\*:@\\'\\({\\[!?])`;
const MULTI_CHAR = '(?:\\-{2,}|\\.{2,}|(?:\\.\\s){2,}\\.)';
const WORD_START = '[^\\(\\"\\`{\\[:;&\\#\\*@\\)}\\]\\-,]';
const WORD_TOKENIZE = `(${MULTI_CHAR}|(?=${WORD_START})\\S+?(?=\\s|$|${NON_WORD}|${MULTI_CHAR}|,(?=$|\\s|${NON_WORD}|${MULTI_CHAR}))|\\S)`;
const PERIOD_CONTEXT = `[\\.\\?!](?=(?P<after_tok>${NON_WORD}|\\s+(?P<next_tok>\\S+)))`;
const BOUNDARY_REALIGNMENT = `\\A["\\')\\]}]+?(?:\\s+|(?=--)|$)`;
const PUNCTUATION = new Set([';', ':', ',', '.', '!', '?']);
// string.whitespace, which _get_last_whitespace_index uses (ASCII only).
const ASCII_WHITESPACE = ' \t\n\r\x0b\x0c';
// [^\W\d] in Python: word characters that are not decimal digits.
const RE_INITIAL = /^[\p{L}\p{Nl}\p{No}_]\.$/u;

class PunktToken {
  readonly type: string;
  readonly periodFinal: boolean;
  sentbreak = false;
  abbr = false;
  ellipsis = false;

  constructor(readonly tok: string) {
    this.type = pySub('^-?[\\.,]?\\d[\\d,\\.-]*\\.?$', '##number##', tok.toLowerCase());
    this.periodFinal = tok.endsWith('.');
  }

  get typeNoPeriod(): string {
    return this.type.length > 1 && this.type.endsWith('.') ? this.type.slice(0, -1) : this.type;
  }

  get typeNoSentperiod(): string {
    return this.sentbreak ? this.typeNoPeriod : this.type;
  }

  private get firstChar(): string {
    return String.fromCodePoint(this.tok.codePointAt(0) ?? 0);
  }

  get firstUpper(): boolean {
    return pyIsUpper(this.firstChar);
  }

  get firstLower(): boolean {
    return pyIsLower(this.firstChar);
  }

  get isEllipsis(): boolean {
    return /^\.\.+$/.test(this.tok);
  }

  get isInitial(): boolean {
    return RE_INITIAL.test(this.tok);
  }
}

/** Punkt's sentence splitter with a given parameter set. */
export class PunktSentenceTokenizer {
  constructor(private readonly params: PunktParameters = ENGLISH_PARAMETERS) {}

  /** Sentences of `text`, as `tokenize` returns them in NLTK. */
  tokenize(text: string): string[] {
    return this.spanTokenize(text).map(([s, e]) => text.slice(s, e));
  }

  /** (start, end) offsets of the sentences of `text`. */
  spanTokenize(text: string): [number, number][] {
    return this.realignBoundaries(text, this.slicesFromText(text)).map((s) => [s.start, s.stop]);
  }

  private tokenizeWords(plaintext: string): PunktToken[] {
    const out: PunktToken[] = [];
    for (const line of plaintext.split('\n')) {
      if (!pyStrip(line)) continue;
      for (const m of line.matchAll(pyRe(WORD_TOKENIZE))) out.push(new PunktToken(m[0]));
    }
    return out;
  }

  private firstPassAnnotation(t: PunktToken): void {
    const tok = t.tok;
    if (SENT_END_CHARS.includes(tok)) t.sentbreak = true;
    else if (t.isEllipsis) t.ellipsis = true;
    else if (t.periodFinal && !tok.endsWith('..')) {
      const stem = tok.slice(0, -1).toLowerCase();
      const parts = stem.split('-');
      if (this.params.abbrevTypes.has(stem) || this.params.abbrevTypes.has(parts[parts.length - 1])) t.abbr = true;
      else t.sentbreak = true;
    }
  }

  private orthoHeuristic(t: PunktToken): boolean | 'unknown' {
    if (PUNCTUATION.has(t.tok)) return false;
    const ortho = this.params.orthoContext(t.typeNoSentperiod);
    if (t.firstUpper && ortho & ORTHO_LC && !(ortho & ORTHO_MID_UC)) return true;
    if (t.firstLower && (ortho & ORTHO_UC || !(ortho & ORTHO_BEG_LC))) return false;
    return 'unknown';
  }

  private secondPassAnnotation(t1: PunktToken, t2: PunktToken | undefined): void {
    if (!t2 || !t1.periodFinal) return;
    const typ = t1.typeNoPeriod;
    const nextTyp = t2.typeNoSentperiod;
    const isInitial = t1.isInitial;
    if (this.params.collocations.has(`${typ}\u0000${nextTyp}`)) {
      t1.sentbreak = false;
      t1.abbr = true;
      return;
    }
    if ((t1.abbr || t1.ellipsis) && !isInitial) {
      const starter = this.orthoHeuristic(t2);
      if (starter === true) {
        t1.sentbreak = true;
        return;
      }
      if (t2.firstUpper && this.params.sentStarters.has(nextTyp)) {
        t1.sentbreak = true;
        return;
      }
    }
    if (isInitial || typ === '##number##') {
      const starter = this.orthoHeuristic(t2);
      if (starter === false) {
        t1.sentbreak = false;
        t1.abbr = true;
        return;
      }
      if (starter === 'unknown' && isInitial && t2.firstUpper && !(this.params.orthoContext(nextTyp) & ORTHO_LC)) {
        t1.sentbreak = false;
        t1.abbr = true;
      }
    }
  }

  private annotateTokens(tokens: PunktToken[]): PunktToken[] {
    for (const t of tokens) this.firstPassAnnotation(t);
    tokens.forEach((t, i) => this.secondPassAnnotation(t, tokens[i + 1]));
    return tokens;
  }

  private textContainsSentbreak(text: string): boolean {
    let found = false;
    for (const t of this.annotateTokens(this.tokenizeWords(text))) {
      if (found) return true;
      if (t.sentbreak) found = true;
    }
    return false;
  }

  private matchPotentialEndContexts(text: string): { match: RegExpMatchArray; context: string }[] {
    const out: { match: RegExpMatchArray; context: string }[] = [];
    let previousSlice = { start: 0, stop: 0 };
    let previousMatch: RegExpMatchArray | undefined;
    const context = (m: RegExpMatchArray, s: { start: number; stop: number }) => text.slice(s.start, s.stop) + m[0] + (m.groups?.after_tok ?? '');
    for (const match of text.matchAll(pyRe(PERIOD_CONTEXT))) {
      const start = match.index ?? 0;
      const beforeText = text.slice(previousSlice.stop, start);
      let indexAfterLastSpace = lastWhitespaceIndex(beforeText);
      if (indexAfterLastSpace) indexAfterLastSpace += previousSlice.stop + 1;
      else indexAfterLastSpace = previousSlice.start;
      const prevWordSlice = { start: indexAfterLastSpace, stop: start };
      if (previousMatch && previousSlice.stop <= prevWordSlice.start) out.push({ match: previousMatch, context: context(previousMatch, previousSlice) });
      previousMatch = match;
      previousSlice = prevWordSlice;
    }
    if (previousMatch) out.push({ match: previousMatch, context: context(previousMatch, previousSlice) });
    return out;
  }

  private slicesFromText(text: string): { start: number; stop: number }[] {
    const slices: { start: number; stop: number }[] = [];
    let lastBreak = 0;
    for (const { match, context } of this.matchPotentialEndContexts(text)) {
      if (!this.textContainsSentbreak(context)) continue;
      const end = (match.index ?? 0) + match[0].length;
      slices.push({ start: lastBreak, stop: end });
      const nextTok = match.indices?.groups?.next_tok;
      lastBreak = match.groups?.next_tok ? (nextTok ? nextTok[0] : end) : end;
    }
    slices.push({ start: lastBreak, stop: pyRstrip(text).length });
    return slices;
  }

  private realignBoundaries(text: string, slices: { start: number; stop: number }[]): { start: number; stop: number }[] {
    const out: { start: number; stop: number }[] = [];
    let realign = 0;
    const nonEmpty = (s: { start: number; stop: number }) => text.slice(s.start, s.stop) !== '';
    slices.forEach((s, i) => {
      const sentence1 = { start: s.start + realign, stop: s.stop };
      const sentence2 = slices[i + 1];
      if (!sentence2) {
        if (nonEmpty(sentence1)) out.push(sentence1);
        return;
      }
      const m = pyRe(BOUNDARY_REALIGNMENT, { multiline: true }).exec(text.slice(sentence2.start, sentence2.stop));
      if (m) {
        out.push({ start: sentence1.start, stop: sentence2.start + pyRstrip(m[0]).length });
        realign = m[0].length;
      } else {
        realign = 0;
        if (nonEmpty(sentence1)) out.push(sentence1);
      }
    });
    return out;
  }
}

function lastWhitespaceIndex(text: string): number {
  for (let i = text.length - 1; i >= 0; i--) if (ASCII_WHITESPACE.includes(text[i])) return i;
  return 0;
}

const english = new PunktSentenceTokenizer();

/** NLTK `sent_tokenize(text)`. */
export function sentTokenize(text: string): string[] {
  return english.tokenize(text);
}

/** IFEval's instructions_util.count_sentences: the number of Punkt sentences. */
export function countSentences(text: string): number {
  return sentTokenize(text).length;
}
