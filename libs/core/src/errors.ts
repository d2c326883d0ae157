/** One problem found in a config file, rendered as a single readable line. */
export interface ConfigProblem {
  file: string;
  /** Dotted field path inside the file ("" for the whole document). */
  field: string;
  expected: string;
  found: string;
  hint?: string;
  line?: number;
  /** 1-based column, where the problem is a position rather than a field (YAML syntax errors). */
  column?: number;
}

/** Formats one problem as `file:line[:column]: field: expected X, found Y — hint`. */
export function formatProblem(p: ConfigProblem): string {
  const where = p.line ? (p.column ? `${p.file}:${p.line}:${p.column}` : `${p.file}:${p.line}`) : p.file;
  const field = p.field === '' ? '(document)' : p.field;
  const hint = p.hint ? ` — ${p.hint}` : '';
  return `${where}: ${field}: expected ${p.expected}, found ${p.found}${hint}`;
}

/** Base of errors whose message is the whole story for the user: shown without a stack trace. */
export class UserFacingError extends Error {}

/** Bad user input in one or more config files; never carries a stack trace to the user. */
export class ConfigError extends UserFacingError {
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Something the environment lacks (vLLM, bubblewrap, a dataset file); one line that says how to get it. */
export class MissingDependencyError extends UserFacingError {
  constructor(message: string, readonly fix: string) {
    super(`${message} — fix: ${fix}`);
    this.name = 'MissingDependencyError';
  }
}

/** A dataset file whose bytes are not the pinned ones. */
export class IntegrityError extends UserFacingError {
  constructor(readonly file: string, readonly expected: string, readonly found: string) {
    super(`${file}: sha256 mismatch: expected ${expected}, found ${found} — the source changed or the download was corrupted; re-run prepare or fix the pinned sha256`);
    this.name = 'IntegrityError';
  }
}

/** A cell that could not produce a complete result; partial results are never written as final. */
export class CellError extends UserFacingError {
  constructor(message: string, readonly cell: string) {
    super(`${cell}: ${message}`);
    this.name = 'CellError';
  }
}

/** The errors evalgraph reports as one clean message (no stack trace). */
export function isUserFacingError(e: unknown): e is Error {
  return e instanceof UserFacingError;
}
