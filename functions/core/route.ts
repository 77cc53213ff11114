/**
 * API Gateway path patterns and the route table that finds the policy for a
 * request path. Precedence follows API Gateway: a literal segment beats
 * `{param}`, which beats a greedy `{param+}`; `$default` comes last.
 */

export const DEFAULT_ROUTE = '$default';

type Segment = { kind: 'literal'; text: string } | { kind: 'param'; name: string } | { kind: 'greedy'; name: string };

export interface RoutePattern {
  /** As written in the policy. */
  readonly source: string;
  /** Same shape regardless of parameter names: `/a/{}/{+}`. Two patterns with equal keys claim the same route. */
  readonly key: string;
  readonly segments: readonly Segment[];
  readonly isDefault: boolean;
}

export type RoutePatternResult = { ok: true; pattern: RoutePattern } | { ok: false; reason: string };

// Characters API Gateway accepts in a literal path part (RFC 3986 pchar without `%`-escapes).
const LITERAL = /^[A-Za-z0-9._~:@!$&'()*,;=-]+$/;
const PARAM_NAME = /^[A-Za-z0-9._-]+$/;
export const MAX_ROUTE_SEGMENTS = 64;

export function parseRoutePattern(raw: string): RoutePatternResult {
  const fail = (reason: string): RoutePatternResult => ({ ok: false, reason });
  if (raw === DEFAULT_ROUTE) return { ok: true, pattern: { source: raw, key: DEFAULT_ROUTE, segments: [], isDefault: true } };
  if (!raw.startsWith('/')) return fail('must start with "/" (or be "$default")');
  if (raw === '/') return { ok: true, pattern: { source: raw, key: '/', segments: [], isDefault: false } };
  if (raw.endsWith('/')) return fail('must not end with "/"');
  const parts = raw.slice(1).split('/');
  if (parts.length > MAX_ROUTE_SEGMENTS) return fail(`has more than ${MAX_ROUTE_SEGMENTS} segments`);
  const segments: Segment[] = [];
  const names = new Set<string>();
  for (const [i, part] of parts.entries()) {
    if (part === '') return fail('has an empty segment ("//")');
    if (part.startsWith('{') || part.endsWith('}')) {
      const m = /^\{([^{}+]*)(\+?)\}$/.exec(part);
      if (!m) return fail(`segment "${part}" is not a valid path parameter; write {name} or {name+} as a whole segment`);
      const name = m[1] as string;
      if (!PARAM_NAME.test(name)) return fail(`path parameter name "${name}" may only use letters, digits, ".", "_" and "-"`);
      if (names.has(name)) return fail(`path parameter "{${name}}" appears twice`);
      names.add(name);
      if (m[2] === '+') {
        if (i !== parts.length - 1) return fail(`greedy parameter "{${name}+}" must be the last segment`);
        segments.push({ kind: 'greedy', name });
      } else segments.push({ kind: 'param', name });
      continue;
    }
    if (part.includes('{') || part.includes('}'))
      return fail(`segment "${part}" mixes text and a parameter; API Gateway only accepts a parameter as a whole segment`);
    if (!LITERAL.test(part)) return fail(`segment "${part}" has characters API Gateway does not accept in a path`);
    if (part === '.' || part === '..') return fail(`segment "${part}" is a dot segment: browsers remove it before sending, so it can never match`);
    segments.push({ kind: 'literal', text: part });
  }
  const key = `/${segments.map((s) => (s.kind === 'literal' ? s.text : s.kind === 'param' ? '{}' : '{+}')).join('/')}`;
  return { ok: true, pattern: { source: raw, key, segments, isDefault: false } };
}

/**
 * A `.` or `..` segment, also percent-encoded (`%2e`, `.%2E`, `%2e%2e`, ...).
 * Linear: at each position it reads at most a slash, two dot forms and a
 * slash, and nothing in it can backtrack further.
 */
const DOT_SEGMENT = /(?:^|\/)(?:\.|%2e){1,2}(?:\/|$)/i;

/**
 * True when `path` has a `.` or `..` segment, also percent-encoded (the
 * WHATWG URL standard's single- and double-dot segments). Browsers remove
 * them before sending a request, and API Gateway and other HTTP servers may
 * resolve them before routing, so what the function sees may not be what API
 * Gateway routed on: such paths are never matched.
 */
export function hasDotSegment(path: string): boolean {
  // Nearly every path has neither "." nor "%": two native scans settle it.
  if (path.indexOf('.') < 0 && path.indexOf('%') < 0) return false;
  return DOT_SEGMENT.test(path);
}

class RouteNode<T> {
  readonly literals = new Map<string, RouteNode<T>>();
  param?: RouteNode<T>;
  greedy?: T;
  exact?: T;
}

/**
 * A trie of route patterns. Every edge consumes one path segment, so a node is
 * reached at exactly one depth and a lookup visits each node at most once:
 * its cost follows the path's depth, not the number of routes.
 */
export class RouteTable<T> {
  private readonly root = new RouteNode<T>();
  private fallback?: T;
  private readonly owners = new Map<string, T>();

  /** The value already holding a route with this key, if any. */
  ownerOf(pattern: RoutePattern): T | undefined {
    return this.owners.get(pattern.key);
  }

  /** Adds a pattern; the caller checks {@link ownerOf} first (conflicts are a policy error). */
  add(pattern: RoutePattern, value: T): void {
    this.owners.set(pattern.key, value);
    if (pattern.isDefault) {
      this.fallback = value;
      return;
    }
    let node = this.root;
    for (const seg of pattern.segments) {
      if (seg.kind === 'greedy') {
        node.greedy = value;
        return;
      }
      if (seg.kind === 'param') node = node.param ??= new RouteNode<T>();
      else {
        let next = node.literals.get(seg.text);
        if (!next) node.literals.set(seg.text, (next = new RouteNode<T>()));
        node = next;
      }
    }
    node.exact = value;
  }

  get size(): number {
    return this.owners.size;
  }

  /** Finds the value for a path relative to the API root (`/`, `/products/42`). */
  match(path: string): T | undefined {
    if (path === '/' || path === '') return this.root.exact ?? this.fallback;
    // The walk stops at the trie's depth, so a long path costs only what it reads.
    return find(this.root, path, path.charCodeAt(0) === 47 /* / */ ? 1 : 0) ?? this.fallback;
  }
}

/** Matches the segments of `path` from index `start` (one past the last "/") against the subtree at `node`. */
function find<T>(node: RouteNode<T>, path: string, start: number): T | undefined {
  if (start > path.length) return node.exact;
  let end = path.indexOf('/', start);
  if (end < 0) end = path.length;
  const seg = path.slice(start, end);
  const literal = node.literals.size > 0 ? node.literals.get(seg) : undefined;
  if (literal) {
    const hit = find(literal, path, end + 1);
    if (hit !== undefined) return hit;
  }
  if (seg === '') return undefined; // parameters never match an empty segment
  if (node.param) {
    const hit = find(node.param, path, end + 1);
    if (hit !== undefined) return hit;
  }
  return node.greedy;
}
