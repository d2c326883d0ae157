import type { DatasetSource } from '@evalgraph/core';

/** The download URL of one pinned source file (the revision is part of the URL, never a branch). */
export function sourceUrl(source: DatasetSource, path: string): string {
  const p = path.split('/').map(encodeURIComponent).join('/');
  switch (source.kind) {
    case 'github':
      return `https://raw.githubusercontent.com/${source.repo}/${source.revision}/${p}`;
    case 'huggingface':
      return `https://huggingface.co/datasets/${source.repo}/resolve/${source.revision}/${p}`;
    case 'url':
      // A plain base URL; "{revision}" in it is replaced so the pin can be part of the address.
      return `${source.repo.replaceAll('{revision}', source.revision).replace(/\/+$/, '')}/${p}`;
  }
}
