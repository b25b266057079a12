/**
 * Where a registry may send the client: for a token, and for a blob's bytes. The realm comes from the registry's `WWW-Authenticate`
 * challenge, so a hostile or misconfigured registry chooses it; the client sends its config.json credentials
 * there. A realm is refused before any connection when it:
 * - carries userinfo (`https://u:p@host/`): credentials the client did not choose, and a URL that logs leak;
 * - is a link-local address (169.254.0.0/16, fe80::/10: cloud metadata services);
 * - is a loopback address (127.0.0.0/8, ::1, `localhost`, 0.0.0.0) while the registry is not;
 * - is plain HTTP, unless both the registry and the realm host are named with `--insecure-registry` (a host is
 *   `hostname:port`: another port is another host).
 * The rules apply with or without credentials, so an anonymous token request goes nowhere a credentialed one may not.
 * A blob download redirected to storage carries no credentials and is checked by the first three rules and the
 * scheme alone (storage may be plain HTTP: the digest is verified).
 */
import { BlockList, isIP } from 'node:net';

const LINK_LOCAL = new BlockList();
LINK_LOCAL.addSubnet('169.254.0.0', 16, 'ipv4');
LINK_LOCAL.addSubnet('fe80::', 10, 'ipv6');

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addSubnet('0.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
LOOPBACK.addAddress('::', 'ipv6');

/** A URL's hostname as an address (`[::1]` → `::1`), with its family; undefined for a DNS name. */
function addressOf(url: URL): { address: string; family: 'ipv4' | 'ipv6' } | undefined {
  const bare = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const version = isIP(bare);
  if (version === 4) return { address: bare, family: 'ipv4' };
  if (version === 6) return { address: bare, family: 'ipv6' };
  return undefined;
}

function isLinkLocal(url: URL): boolean {
  const ip = addressOf(url);
  return ip !== undefined && LINK_LOCAL.check(ip.address, ip.family);
}

/** Whether a URL names this machine: a loopback or unspecified address, or `localhost` (RFC 6761). */
export function isLoopback(url: URL): boolean {
  const ip = addressOf(url);
  if (ip !== undefined) return LOOPBACK.check(ip.address, ip.family);
  const name = url.hostname.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

/** `HOST:PORT` as `--insecure-registry` names it, in the URL's own spelling (lower case, default port dropped). */
export function hostKey(host: string): string {
  return URL.canParse(`http://${host}`) ? new URL(`http://${host}`).host : host;
}

/**
 * Why a URL the registry sends the client to (a token realm, a blob's storage) may not be asked at all: another
 * scheme, userinfo, a link-local address, a loopback address for a registry that is not on loopback.
 */
function destinationRefusal(registry: URL, target: URL): string | undefined {
  if (target.protocol !== 'https:' && target.protocol !== 'http:')
    return `its scheme ${target.protocol} is neither https nor http`;
  if (target.username !== '' || target.password !== '')
    return 'it carries a user name or password (userinfo); credentials go only in a header the client writes';
  if (isLinkLocal(target))
    return 'it is a link-local address (169.254.0.0/16, fe80::/10: where cloud metadata services answer)';
  if (isLoopback(target) && !isLoopback(registry))
    return `it is a loopback address and the registry (${registry.host}) is not`;
  return undefined;
}

/**
 * Why a blob download redirected by the registry at `registry` may not follow to `target` (no credential goes
 * there anyway: this keeps a registry from making the client ask a metadata service or this machine).
 */
export function redirectRefusal(registry: URL, target: URL): string | undefined {
  return destinationRefusal(registry, target);
}

/**
 * Why `realm` may not be asked for a token of the registry at `registry` (its API URL), or undefined when it may.
 * `insecure` holds the `--insecure-registry` hosts, spelled by `hostKey`. The reason names the realm's host, never
 * its userinfo.
 */
export function realmRefusal(registry: URL, realm: URL, insecure: ReadonlySet<string>): string | undefined {
  const refusal = destinationRefusal(registry, realm);
  if (refusal !== undefined) return refusal;
  if (realm.protocol === 'http:' && !(insecure.has(hostKey(realm.host)) && insecure.has(hostKey(registry.host)))) {
    return `it is plain HTTP: credentials go to a token realm only over HTTPS, unless both the registry and the realm host (${realm.host}) are named with --insecure-registry`;
  }
  return undefined;
}
