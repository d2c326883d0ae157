/**
 * The vLLM releases evalgraph supports, in one place. The floor is the release the project's plan was
 * written for; the ceiling is the newest release whose interfaces were read from vLLM's source and docs
 * (docs.vllm.ai/en/v0.32.0: custom logits processors for Model Runner V2). Outside the range evalgraph still
 * runs, with a warning: flags are checked against the installed vLLM's own parser either way, and the
 * English-only filter uses the nearest interface it knows (older than the floor: per-request
 * allowed_token_ids on the legacy runner; newer than the ceiling: the Model Runner V2 processor).
 */
export const VLLM_SUPPORTED_RANGE = { min: '0.10.2', max: '0.32.0' } as const;

/** The range as users read it: "0.10.2 to 0.32.x". */
export const VLLM_SUPPORTED_RANGE_TEXT = `${VLLM_SUPPORTED_RANGE.min} to ${VLLM_SUPPORTED_RANGE.max.replace(/\.0$/, '.x')}`;

/** A parsed release number (major.minor.patch; a fourth part such as 0.10.1.1 is the post-release). */
export interface VllmRelease {
  parts: [number, number, number, number];
  /** The text it came from ("0.11.1.dev12+g3a5b" → dev build of 0.11.1). */
  text: string;
  dev: boolean;
}

/** Parses what `vllm --version` prints (the last line; "0.11.0", "0.11.1rc2", "0.12.0.dev5+gabc"); null if no version. */
export function parseVllmVersion(text: string | null | undefined): VllmRelease | null {
  if (!text) return null;
  const m = /(?:^|\s|v)(\d+)\.(\d+)(?:\.(\d+))?(?:\.(\d+))?((?:rc|\.?dev|a|b)\d*)?(\+\S*)?\s*$/.exec(text.trim());
  if (!m) return null;
  return { parts: [Number(m[1]), Number(m[2]), Number(m[3] ?? 0), Number(m[4] ?? 0)], text: text.trim(), dev: Boolean(m[5]) };
}

/** Compares release numbers only (a dev or rc build of X counts as X). */
export function compareVllmVersions(a: VllmRelease, b: VllmRelease): number {
  for (let i = 0; i < 4; i++) if (a.parts[i] !== b.parts[i]) return a.parts[i] - b.parts[i];
  return 0;
}

/** Where an installed version sits relative to the supported range. */
export type VllmRangeStatus = 'in-range' | 'older' | 'newer' | 'unknown' | 'standin';

/** The version check `doctor` and `validate` print: status, one line, and what evalgraph does about it. */
export interface VllmVersionCheck {
  status: VllmRangeStatus;
  version: string | null;
  /** One line: "vLLM 0.11.0 is in the supported range 0.10.2 to 0.32.x". */
  detail: string;
  /** For a warning: what evalgraph does and what the user can do; empty when in range. */
  fix: string;
}

const MIN = parseVllmVersion(VLLM_SUPPORTED_RANGE.min)!;
const MAX = parseVllmVersion(VLLM_SUPPORTED_RANGE.max)!;

/** Whether a version is in the range; the ceiling covers every patch release of its minor line (0.32.x). */
export function vllmRangeStatus(version: string | null): VllmRangeStatus {
  if (version && /standin/i.test(version)) return 'standin';
  const v = parseVllmVersion(version);
  if (!v) return 'unknown';
  if (compareVllmVersions(v, MIN) < 0) return 'older';
  if (v.parts[0] > MAX.parts[0] || (v.parts[0] === MAX.parts[0] && v.parts[1] > MAX.parts[1])) return 'newer';
  return 'in-range';
}

/** The version line of `doctor` and `validate` for the vLLM found (null: none found). */
export function vllmVersionCheck(version: string | null): VllmVersionCheck {
  const range = `the supported range ${VLLM_SUPPORTED_RANGE_TEXT}`;
  const status = vllmRangeStatus(version);
  switch (status) {
    case 'in-range':
      return { status, version, detail: `vLLM ${version} is in ${range}`, fix: '' };
    case 'standin':
      return { status, version, detail: `${version} is the test stand-in (it answers like vLLM 0.11), not vLLM`, fix: 'remove the stand-in from PATH for real runs' };
    case 'older':
      return {
        status,
        version,
        detail: `vLLM ${version} is older than ${range}`,
        fix: `evalgraph checks flags against this vLLM's own \`vllm serve --help=all\`, but sends the English-only filter as per-request allowed_token_ids (no custom logits processor before ${VLLM_SUPPORTED_RANGE.min}); upgrade: pip install -U "vllm>=${VLLM_SUPPORTED_RANGE.min}"`,
      };
    case 'newer':
      return {
        status,
        version,
        detail: `vLLM ${version} is newer than ${range}`,
        fix: `evalgraph checks flags against this vLLM's own \`vllm serve --help=all\` and uses the Model Runner V2 English-only processor of ${VLLM_SUPPORTED_RANGE.max}; if vLLM rejects it at start-up, pin vllm==${VLLM_SUPPORTED_RANGE.max} or run without english_only`,
      };
    default:
      return {
        status,
        version,
        detail: version ? `could not read a vLLM version from "${version}"` : 'no vLLM found (EVALGRAPH_VLLM or `vllm` on PATH)',
        fix: version
          ? `evalgraph treats it as outside ${range}: flags are checked against its \`vllm serve --help=all\`, the English-only filter goes per request`
          : `flags are checked against the frozen vLLM 0.11 list until vLLM is installed (pip install "vllm>=${VLLM_SUPPORTED_RANGE.min}")`,
      };
  }
}
