import { SocketError } from '../sockets/socket-error.ts'

/**
 * Where a parsed JSON body carries a key that could pollute prototypes (`__proto__`, or `constructor`
 * holding `prototype`), as a dotted path; undefined when clean. JSON.parse itself makes such keys plain
 * own properties, but code that copies them with spread or Object.assign would not.
 */
export function pollutingKey(value: unknown, path = ''): string | undefined {
  if (value === null || typeof value !== 'object') return undefined
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = pollutingKey(value[i], path ? `${path}.${i}` : String(i))
      if (hit) return hit
    }
    return undefined
  }
  for (const key of Object.keys(value)) {
    const here = path ? `${path}.${key}` : key
    const v = (value as Record<string, unknown>)[key]
    if (key === '__proto__') return here
    if (key === 'constructor' && v !== null && typeof v === 'object' && Object.hasOwn(v, 'prototype')) return here
    const hit = pollutingKey(v, here)
    if (hit) return hit
  }
  return undefined
}

/** Parse a request body as JSON, refusing prototype keys with a validation error that names the field. */
export function parseJsonBody(text: string): unknown {
  const value = JSON.parse(text) // a SyntaxError becomes EBADJSON in the app's error handler
  const bad = pollutingKey(value)
  if (bad) throw new SocketError('EVALIDATION', `field "${bad}" is not allowed`, bad)
  return value
}
