import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';

/** What a direct POST needs besides the body. */
export interface DirectPostOptions {
  /** The transport (keepAliveFetch): connections are pooled per origin. */
  fetch: typeof fetch;
  apiKey?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * POSTs a JSON body to an OpenAI-compatible endpoint and returns the parsed JSON, raising exactly the `openai`
 * SDK's error classes (APIError.generate for HTTP statuses, APIConnectionError, APIConnectionTimeoutError,
 * APIUserAbortError), so retry classification and messages are the SDK's. It skips the SDK's per-call request
 * machinery (header merging, debug formatting, APIPromise), which cost more CPU than the HTTP exchange against
 * a local server.
 */
export async function directPost(url: string, body: Record<string, unknown>, o: DirectPostOptions): Promise<unknown> {
  if (o.signal?.aborted) throw new APIUserAbortError();
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, o.timeoutMs);
  const onAbort = () => controller.abort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'evalgraph' };
  if (o.apiKey) headers.authorization = `Bearer ${o.apiKey}`;
  let res: Response;
  try {
    res = await o.fetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal: controller.signal });
  } catch (e) {
    if (o.signal?.aborted) throw new APIUserAbortError();
    if (timedOut) throw new APIConnectionTimeoutError();
    throw new APIConnectionError({ cause: e instanceof Error ? e : new Error(String(e)) });
  } finally {
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', onAbort);
  }
  const text = await res.text();
  if (!res.ok) {
    const json = safeJson(text);
    throw APIError.generate(res.status, json as object | undefined, json ? undefined : text, res.headers);
  }
  const data = safeJson(text);
  if (data === undefined) throw new APIError(res.status, undefined, `the server answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`, res.headers);
  return data;
}
