/** One HTTP call to a model server that never throws: `ok: false, status: 0` when it did not answer in time. */
export async function httpOk(url: string, timeoutMs: number, init?: RequestInit): Promise<{ ok: boolean; status: number; body: string }> {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    return { ok: res.ok, status: res.status, body: await res.text() };
  } catch {
    return { ok: false, status: 0, body: '' };
  }
}

/** GET /version (vLLM answers {"version": "0.11.0"}); null when the server does not answer or says no version. */
export async function serverVersion(baseUrl: string): Promise<string | null> {
  const r = await httpOk(`${baseUrl}/version`, 5000);
  if (!r.ok) return null;
  try {
    const v = (JSON.parse(r.body) as { version?: unknown }).version;
    return typeof v === 'string' ? v : null;
  } catch {
    return null;
  }
}
