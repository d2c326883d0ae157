import { SourceUnavailableError } from './source-unavailable';

/**
 * A pinned source that could not be downloaded. It is a SourceUnavailableError (a MissingDependencyError, so it prints as
 * one clean message) whose text is one line: the URL, why, and the mirror to use instead.
 */
export class DownloadError extends SourceUnavailableError {
  constructor(readonly dataset: string, readonly url: string, readonly reason: string) {
    const fix = 'set EVALGRAPH_DATA_MIRROR to a local directory laid out like shared/datasets';
    super(`dataset ${dataset}: could not download ${url} (${reason})`, fix);
    this.name = 'DownloadError';
    this.message = `dataset ${dataset}: could not download ${url} (${reason}) — no network? ${fix}`;
  }
}
