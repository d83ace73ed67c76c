/**
 * Who may call which route. Looked up by method and Fastify's route pattern, so a route added later
 * gets a safe default: reading needs a login, changing needs the instructor, and anything under
 * /api/endpoints/:id is checked against that endpoint's owner.
 */

/** public: anyone; viewer: any logged-in role; actor: student or instructor (observers change nothing); instructor. */
export type Need = 'public' | 'viewer' | 'actor' | 'instructor'

export interface Rule {
  need: Need
  /** The route names an endpoint in params.id: the caller must see it (read) or control it (change). */
  endpoint?: 'see' | 'control'
}

const EXACT: Record<string, Rule> = {
  'POST /api/auth/login': { need: 'public' },
  'POST /api/auth/join': { need: 'public' },
  'GET /api/auth/me': { need: 'public' },
  'POST /api/auth/logout': { need: 'public' },
  'GET /api/endpoints': { need: 'viewer' },
  'POST /api/endpoints': { need: 'actor' },
  'GET /api/events': { need: 'viewer' },
  'POST /api/endpoints/:id/share': { need: 'instructor' },
}

/** Whole areas only the instructor uses: people, the audit log, the files area and its transfers, the logs folder. */
const INSTRUCTOR_AREAS = ['/api/people', '/api/audit', '/api/files', '/api/transfers', '/api/logs']

const SAFE = new Set(['GET', 'HEAD'])

export function isSafeMethod(method: string): boolean {
  return SAFE.has(method) || method === 'OPTIONS'
}

export function ruleFor(method: string, routeUrl: string | undefined, path: string): Rule {
  // The panel's own files (and the /?token= login link) are public; they hold no secrets.
  if (!path.startsWith('/api/') && path !== '/api') return { need: 'public' }
  const m = method === 'HEAD' ? 'GET' : method
  const exact = routeUrl && EXACT[`${m} ${routeUrl}`]
  if (exact) return exact
  const url = routeUrl ?? path
  if (INSTRUCTOR_AREAS.some((a) => url === a || url.startsWith(a + '/'))) {
    // Students may list transfers that touch their own endpoints' files; the files area itself is the instructor's.
    return url.startsWith('/api/transfers') && SAFE.has(method) ? { need: 'viewer' } : { need: 'instructor' }
  }
  if (url.startsWith('/api/endpoints/:id')) return SAFE.has(method) ? { need: 'viewer', endpoint: 'see' } : { need: 'actor', endpoint: 'control' }
  return SAFE.has(method) ? { need: 'viewer' } : { need: 'instructor' }
}
