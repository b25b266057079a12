/**
 * HEAD requests on kept-alive connections. Node's `fetch` (undici) closes the connection after every HEAD
 * (undici's HTTP/1.1 client marks the socket for reset on HEAD "to interop with misbehaving servers that may send a
 * body"; its own test `override HEAD reset` shows the per-request `reset: false` that `fetch` cannot pass), so each
 * HEAD of a sweep paid a TCP (and TLS) handshake: 1,000 HEADs cost the client ~1 s of CPU and the registry a new
 * connection each. Node's `http` agent keeps the connection for the next request.
 *
 * Same contract as `fetch` for what the registry client sends: the status, headers and no body; the request's
 * `signal` aborts it with the signal's reason; a network error rejects with a `TypeError` whose `cause` carries the
 * socket's `code` (as `fetch` does, so the retry rules read it the same way). A redirect is not followed here: when
 * the caller asked `fetch` to follow one, the request is sent again through `fetch`, exactly as before.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** At most this many connections per host (the client's lookups run 8 at a time). */
const MAX_SOCKETS = 16;

const HTTP_AGENT = new HttpAgent({ keepAlive: true, maxSockets: MAX_SOCKETS });
const HTTPS_AGENT = new HttpsAgent({ keepAlive: true, maxSockets: MAX_SOCKETS });

/** A HEAD request on a kept-alive connection; other methods, and a redirect to follow, go through `fetch`. */
export async function keepAliveFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  if (init?.method !== 'HEAD' || typeof input !== 'string') return fetch(input, init);
  const response = await head(input, init);
  if (response.status >= 300 && response.status < 400 && (init.redirect ?? 'follow') === 'follow') {
    return fetch(input, init);
  }
  return response;
}

function head(url: string, init: RequestInit): Promise<Response> {
  const signal = init.signal ?? undefined;
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  const send = secure ? httpsRequest : httpRequest;
  const headers = Object.fromEntries(new Headers(init.headers));
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const request = send(target, { method: 'HEAD', headers, agent: secure ? HTTPS_AGENT : HTTP_AGENT });
    const onAbort = () => request.destroy(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => signal?.removeEventListener('abort', onAbort);
    request.on('error', (error) => {
      done();
      reject(signal?.aborted ? signal.reason : new TypeError('fetch failed', { cause: error }));
    });
    request.on('response', (message: IncomingMessage) => {
      done();
      message.resume(); // a HEAD answer has no body; an end frees the connection for the next request
      try {
        resolve(new Response(null, { status: message.statusCode ?? 0, headers: headersOf(message.rawHeaders) }));
      } catch (error) {
        reject(new TypeError('fetch failed', { cause: error }));
      }
    });
    request.end();
  });
}

/** The answer's headers, repeated ones kept (rawHeaders is name, value, name, value …). */
function headersOf(raw: readonly string[]): Headers {
  const headers = new Headers();
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i] ?? '', raw[i + 1] ?? '');
  return headers;
}
