import { existsSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { unzipSync } from 'fflate';
import { IntegrityError, MissingDependencyError, sha256, writeFileAtomic, type DatasetConfig } from '@evalgraph/core';
import { datasetConfigFile, downloadsDir } from './paths';
import { sourceUrl } from './source-url';
import { DownloadError } from './download-error';
import { SourceUnavailableError } from './source-unavailable';

type SourceFile = DatasetConfig['source']['files'][number];

/** Where a source file's bytes came from. */
export type FetchedFrom = 'network' | 'mirror' | 'cache';

/** A local mirror directory and what chose it (for messages). */
export interface MirrorChoice {
  dir: string;
  origin: 'option' | 'EVALGRAPH_DATA_MIRROR' | 'config';
}

/** One verified, decompressed source file. */
export interface LoadedSource {
  file: SourceFile;
  text: string;
  from: FetchedFrom;
}

/** How long one download may take before it is reported as failed. */
export const DOWNLOAD_TIMEOUT_MS = 300_000;

/**
 * Picks the mirror: the option, else EVALGRAPH_DATA_MIRROR, else the config's `mirror` (relative to the
 * workspace root). An explicit mirror must exist; the config's is used only when its directory exists,
 * so the same config downloads the pinned source where no mirror sits beside the workspace (the bytes
 * are sha256-checked either way).
 */
export function resolveMirror(root: string, config: Pick<DatasetConfig, 'mirror'>, option?: string, env: NodeJS.ProcessEnv = process.env): MirrorChoice | undefined {
  const explicit: MirrorChoice | undefined = option
    ? { dir: resolve(root, option), origin: 'option' }
    : env.EVALGRAPH_DATA_MIRROR
      ? { dir: resolve(env.EVALGRAPH_DATA_MIRROR), origin: 'EVALGRAPH_DATA_MIRROR' }
      : undefined;
  if (explicit) {
    if (!existsSync(explicit.dir) || !statSync(explicit.dir).isDirectory()) {
      throw new SourceUnavailableError(`the dataset mirror ${explicit.dir} (from ${explicit.origin}) is not a directory`, 'point EVALGRAPH_DATA_MIRROR at a directory laid out like shared/datasets, or unset it to download the pinned sources');
    }
    return explicit;
  }
  if (config.mirror) {
    const dir = resolve(root, config.mirror);
    if (existsSync(dir) && statSync(dir).isDirectory()) return { dir, origin: 'config' };
  }
  return undefined;
}

/** Context shared by the files of one prepare. */
export interface LoadContext {
  root: string;
  name: string;
  config: Pick<DatasetConfig, 'source' | 'mirror'>;
  /** The config file that pins the source, for messages (default: the dataset's). */
  configFile?: string;
  /** What is being prepared, for messages (default: "dataset <name>"). */
  what?: string;
  mirror?: MirrorChoice;
  fetchImpl: typeof fetch;
  /** The source archive's members, fetched and unpacked once per prepare. */
  archive?: Promise<Record<string, Uint8Array>>;
}

const cfgFile = (ctx: LoadContext): string => ctx.configFile ?? datasetConfigFile(ctx.name);
const who = (ctx: LoadContext): string => ctx.what ?? `dataset ${ctx.name}`;

function label(ctx: LoadContext, index: number, where: string): string {
  const file = ctx.config.source.files[index];
  return `${who(ctx)}: ${file.path} (source.files.${index} of ${cfgFile(ctx)}, read from ${where})`;
}

function verify(ctx: LoadContext, index: number, bytes: Uint8Array, where: string): void {
  const expected = ctx.config.source.files[index].sha256;
  const found = sha256(bytes);
  if (found !== expected) throw new IntegrityError(label(ctx, index, where), expected, found);
}

function readMirror(ctx: LoadContext, mirror: MirrorChoice, index: number): Buffer {
  const file = ctx.config.source.files[index];
  const path = join(mirror.dir, file.mirror_path);
  if (!existsSync(path)) {
    const { repo, revision } = ctx.config.source;
    throw new SourceUnavailableError(
      `${who(ctx)}: ${file.mirror_path} is not in the mirror ${mirror.dir} (chosen by ${mirror.origin})`,
      `put ${file.path} of ${repo}@${revision} (sha256 ${file.sha256}) at ${path}, or set EVALGRAPH_DATA_MIRROR to a directory laid out like shared/datasets that has it` +
        (mirror.origin === 'config' ? `, or remove \`mirror:\` from ${cfgFile(ctx)} to download the pinned source` : mirror.origin === 'EVALGRAPH_DATA_MIRROR' ? ', or unset it to download the pinned source' : ''),
    );
  }
  return readFileSync(path);
}

/** GETs one URL; every failure (HTTP status, DNS, timeout) is a DownloadError naming the URL. */
async function fetchBytes(ctx: LoadContext, url: string): Promise<Buffer> {
  try {
    const res = await ctx.fetchImpl(url, { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS), redirect: 'follow' });
    if (!res.ok) throw new DownloadError(ctx.name, url, `HTTP ${res.status}${res.statusText ? ' ' + res.statusText : ''}`);
    return Buffer.from(await res.arrayBuffer());
  } catch (e) {
    if (e instanceof DownloadError) throw e;
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const reason = err.name === 'TimeoutError' ? `no answer within ${DOWNLOAD_TIMEOUT_MS / 1000} s` : (err.cause?.code ?? err.cause?.message ?? err.message);
    throw new DownloadError(ctx.name, url, reason);
  }
}

/** The source archive (download cache, else network), sha256-checked as a whole, then unpacked. */
async function unpackArchive(ctx: LoadContext, archive: NonNullable<DatasetConfig['source']['archive']>): Promise<Record<string, Uint8Array>> {
  const url = sourceUrl(ctx.config.source, archive.path);
  const cached = join(downloadsDir(ctx.root), archive.sha256);
  const fromCache = existsSync(cached) ? new Uint8Array(readFileSync(cached)) : undefined;
  let bytes: Uint8Array;
  if (fromCache && sha256(fromCache) === archive.sha256) bytes = fromCache;
  else {
    bytes = new Uint8Array(await fetchBytes(ctx, url));
    const found = sha256(bytes);
    if (found !== archive.sha256) throw new IntegrityError(`${who(ctx)}: ${archive.path} (source.archive of ${cfgFile(ctx)}, read from ${url})`, archive.sha256, found);
    writeFileAtomic(cached, bytes);
  }
  const wanted = new Set(ctx.config.source.files.map((f) => f.path));
  try {
    return unzipSync(bytes, { filter: (f) => wanted.has(f.name) });
  } catch (e) {
    throw new Error(`${who(ctx)}: ${archive.path} from ${url} is not a valid zip (${(e as Error).message})`);
  }
}

async function download(ctx: LoadContext, index: number): Promise<{ bytes: Buffer; from: FetchedFrom }> {
  const file = ctx.config.source.files[index];
  const cached = join(downloadsDir(ctx.root), file.sha256);
  if (existsSync(cached)) {
    const bytes = readFileSync(cached);
    if (sha256(bytes) === file.sha256) return { bytes, from: 'cache' };
    unlinkSync(cached); // a damaged cache entry is not an integrity failure of the source: fetch again
  }
  const { archive } = ctx.config.source;
  let bytes: Buffer;
  let where: string;
  if (archive) {
    where = `${sourceUrl(ctx.config.source, archive.path)} (zip member ${file.path})`;
    const member = (await (ctx.archive ??= unpackArchive(ctx, archive)))[file.path];
    if (!member) throw new MissingDependencyError(`${who(ctx)}: ${archive.path} has no member ${file.path}`, `check source.files.${index}.path in ${cfgFile(ctx)} against the archive's listing (unzip -l)`);
    bytes = Buffer.from(member);
  } else {
    where = sourceUrl(ctx.config.source, file.path);
    bytes = await fetchBytes(ctx, where);
  }
  verify(ctx, index, bytes, where);
  writeFileAtomic(cached, bytes);
  return { bytes, from: 'network' };
}

function decode(ctx: LoadContext, index: number, bytes: Buffer): string {
  const file = ctx.config.source.files[index];
  if (!file.path.endsWith('.gz') && !file.mirror_path.endsWith('.gz')) return bytes.toString('utf8');
  try {
    return gunzipSync(bytes).toString('utf8');
  } catch (e) {
    throw new Error(`${who(ctx)}: ${file.path} is not valid gzip (${(e as Error).message})`);
  }
}

/** Reads (mirror) or downloads (cache, network) one pinned source file, verifies its sha256 and decompresses it. */
export async function loadSourceFile(ctx: LoadContext, index: number): Promise<LoadedSource> {
  const file = ctx.config.source.files[index];
  let bytes: Buffer;
  let from: FetchedFrom;
  if (ctx.mirror) {
    bytes = readMirror(ctx, ctx.mirror, index);
    verify(ctx, index, bytes, join(ctx.mirror.dir, file.mirror_path));
    from = 'mirror';
  } else {
    ({ bytes, from } = await download(ctx, index));
  }
  return { file, text: decode(ctx, index, bytes), from };
}

/** The manifest's summary of where the files came from: network if any was downloaded. */
export function overallOrigin(froms: FetchedFrom[]): FetchedFrom {
  if (froms.includes('network')) return 'network';
  if (froms.includes('cache')) return 'cache';
  return 'mirror';
}
