import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto'

/** A random secret for URLs and cookies (URL-safe, `bytes` of entropy). */
export function randomSecret(bytes = 24): string {
  return randomBytes(bytes).toString('base64url')
}

// No 0/O, 1/I/L: the code is read off a projector and typed by hand.
const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789'

/** A class code such as `K7QF-2MXP` (about 40 bits; joins are rate-limited per address). */
export function randomClassCode(): string {
  let s = ''
  for (let i = 0; i < 8; i++) s += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]
  return `${s.slice(0, 4)}-${s.slice(4)}`
}

/** What people may type for a class code: case, spaces and dashes do not matter. */
export function normalizeClassCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '')
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest()

/**
 * Compare a presented secret with the real one in constant time. Both are hashed first so neither
 * the content nor the length of the real secret leaks through timing.
 */
export function secretsEqual(presented: string, actual: string): boolean {
  return timingSafeEqual(digest(presented), digest(actual))
}

/** Sessions are stored under a hash of their id, so the map never holds a usable cookie value. */
export function sessionKey(sessionId: string): string {
  return digest(sessionId).toString('hex')
}

/** Replace secrets in a URL (`token=`, `code=` query values) before it is logged anywhere. */
export function redactUrl(url: string): string {
  return url.replace(/([?&](?:token|code)=)[^&#]*/gi, '$1[redacted]')
}
