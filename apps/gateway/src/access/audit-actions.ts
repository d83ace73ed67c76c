/**
 * Names and one-line details for audit entries, by route. Only summaries go in: sizes, ports, kinds —
 * never tokens, class codes or payload bytes.
 */

const ACTIONS: Record<string, string> = {
  'POST /api/auth/login': 'login',
  'POST /api/auth/join': 'join',
  'POST /api/auth/logout': 'logout',
  'POST /api/endpoints': 'endpoint.create',
  'DELETE /api/endpoints/:id': 'endpoint.stop',
  'POST /api/endpoints/:id/send': 'endpoint.send',
  'POST /api/endpoints/:id/actions': 'endpoint.action',
  'POST /api/endpoints/:id/connections/:cid/close': 'connection.close',
  'POST /api/endpoints/:id/share': 'endpoint.share',
  'POST /api/people/:id/revoke': 'person.revoke',
  'PATCH /api/people/:id': 'person.role',
  'PUT /api/people/policy': 'class.policy',
  'PATCH /api/endpoints/:id/faults': 'relay.faults',
  'POST /api/endpoints/:id/connections/:cid/cut': 'connection.cut',
  'POST /api/transfers': 'transfer.start',
  'DELETE /api/logs/:name': 'log.delete',
}

const FILE_VERBS: Record<string, string> = { PUT: 'upload', POST: 'upload', DELETE: 'delete', PATCH: 'rename' }

export function auditAction(method: string, routeUrl: string | undefined, path: string): string {
  const known = routeUrl && ACTIONS[`${method} ${routeUrl}`]
  if (known) return known
  if (path.startsWith('/api/files')) return `files.${FILE_VERBS[method] ?? method.toLowerCase()}`
  return `${method} ${routeUrl ?? path}`
}

const str = (v: unknown) => (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined)

/** What the entry is about: an endpoint or person id, a path in the files area, or a traffic log's name. */
export function auditTarget(path: string, params: Record<string, unknown> | undefined, response: Record<string, unknown> | undefined): string | undefined {
  if (path.startsWith('/api/files/')) return decodeURIComponent(path.slice('/api/files/'.length)).slice(0, 300)
  if (path.startsWith('/api/logs/')) return (str(params?.name) ?? path.slice('/api/logs/'.length)).slice(0, 300)
  const id = str(params?.id) ?? str(response?.id) ?? str(response?.endpointId)
  const cid = str(params?.cid)
  return id ? (cid ? `${id}/${cid}` : id) : undefined
}

/** A short sentence of what was asked and what came of it. */
export function auditDetail(action: string, body: unknown, response: Record<string, unknown> | undefined): string | undefined {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>
  switch (action) {
    case 'endpoint.create': {
      const port = (response?.local as { port?: number } | undefined)?.port ?? b.port
      return [str(b.kind), port !== undefined ? `port ${str(port)}` : undefined, str(b.host)].filter(Boolean).join(' ') || undefined
    }
    case 'endpoint.send':
      return response?.bytes !== undefined ? `${str(response.bytes)} bytes to ${str(response.connections)} connection(s)` : undefined
    case 'endpoint.action':
      return b.action === 'log' && typeof b.on === 'boolean' ? `log ${b.on ? 'on' : 'off'}` : str(b.action)
    case 'connection.close':
      return str(b.mode) ?? 'end'
    case 'endpoint.share':
      return b.shared ? 'shared with the class' : 'no longer shared'
    case 'person.role':
      return str(b.role)
    case 'join':
      return [str(b.name)?.slice(0, 40), str(b.role) ?? 'student'].filter(Boolean).join(' as ')
    case 'class.policy':
      return Object.keys(b).join(', ') || undefined
    default:
      return action.startsWith('files.') && response?.size !== undefined ? `${str(response.size)} bytes` : undefined
  }
}
