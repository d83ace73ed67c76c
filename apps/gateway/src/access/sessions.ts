import type { PersonInfo, Role } from '@socklab/shared'
import { SocketError } from '../sockets/socket-error.ts'
import { randomSecret, sessionKey } from './secrets.ts'
import type { Principal } from './roles.ts'

/** Someone who logged in or joined. People live in memory: a gateway restart ends every session. */
export interface Person extends Principal {
  joinedAt: number
  lastSeenAt: number
  revoked: boolean
}

interface Session {
  personId: string
  lastSeenAt: number
}

interface TrackedSocket {
  sessionKey?: string
  close: () => void
}

export interface SessionLimits {
  /** A session unused this long is forgotten. */
  idleMs: number
  /** Most people who may join one gateway run. */
  maxPeople: number
}

export const INSTRUCTOR_ID = 'instructor'
/** Sessions kept at most (every login makes one); beyond it the idle and then the oldest go. */
const MAX_SESSIONS = 10_000
const RESERVED_NAMES = new Set(['instructor', 'local', 'anonymous'])

/**
 * People, their sessions (cookie ids, stored hashed) and their live WebSockets, so that revoking a
 * person ends their sessions and closes their sockets at once.
 */
export class Sessions {
  private readonly people = new Map<string, Person>()
  private readonly sessions = new Map<string, Session>()
  private readonly sockets = new Map<string, Set<TrackedSocket>>()
  private counter = 0

  constructor(private readonly limits: SessionLimits = { idleMs: 12 * 3600_000, maxPeople: 500 }) {}

  /** The instructor is one person however many browsers or scripts they use. */
  instructor(): Person {
    let p = this.people.get(INSTRUCTOR_ID)
    if (!p) {
      const now = Date.now()
      p = { id: INSTRUCTOR_ID, name: 'instructor', role: 'instructor', joinedAt: now, lastSeenAt: now, revoked: false }
      this.people.set(p.id, p)
    }
    return p
  }

  /** A student or observer joins under a display name nobody else in the class uses. */
  join(name: string, role: Extract<Role, 'student' | 'observer'>): Person {
    const clean = name.trim()
    const lower = clean.toLowerCase()
    if (RESERVED_NAMES.has(lower)) throw new SocketError('ENAMETAKEN', `"${clean}" is reserved; pick another name`, 'name')
    const same = [...this.people.values()].find((p) => p.name.toLowerCase() === lower)
    if (same?.revoked) throw new SocketError('EREVOKED', `the instructor removed "${clean}" from this class`, 'name')
    if (same) throw new SocketError('ENAMETAKEN', `someone in this class is already called "${clean}"; pick another name`, 'name')
    if (this.people.size >= this.limits.maxPeople) throw new SocketError('EQUOTA', `this class is full (${this.limits.maxPeople} people)`)
    const now = Date.now()
    const p: Person = { id: `p${++this.counter}`, name: clean, role, joinedAt: now, lastSeenAt: now, revoked: false }
    this.people.set(p.id, p)
    return p
  }

  /** A new session for a person; returns the raw id (the cookie value), which is not kept. */
  open(person: Person): string {
    if (this.sessions.size >= MAX_SESSIONS) this.prune()
    const id = randomSecret(32)
    this.sessions.set(sessionKey(id), { personId: person.id, lastSeenAt: Date.now() })
    return id
  }

  /** Drop idle sessions; if that is not enough, the oldest ones (Map order is creation order). */
  private prune() {
    const now = Date.now()
    for (const [key, s] of this.sessions) if (now - s.lastSeenAt > this.limits.idleMs) this.sessions.delete(key)
    for (const key of this.sessions.keys()) {
      if (this.sessions.size < MAX_SESSIONS) break
      this.sessions.delete(key)
    }
  }

  /** The person behind a cookie value, or undefined (unknown, idle too long, or revoked). */
  resolve(rawId: string): { person: Person; sessionKey: string } | undefined {
    const key = sessionKey(rawId)
    const s = this.sessions.get(key)
    if (!s) return undefined
    const now = Date.now()
    const person = this.people.get(s.personId)
    if (!person || person.revoked || now - s.lastSeenAt > this.limits.idleMs) {
      this.sessions.delete(key)
      return undefined
    }
    s.lastSeenAt = now
    person.lastSeenAt = now
    return { person, sessionKey: key }
  }

  /** Log out one session and close the sockets it opened. */
  end(rawId: string) {
    const key = sessionKey(rawId)
    const s = this.sessions.get(key)
    if (!s) return
    this.sessions.delete(key)
    for (const t of [...(this.sockets.get(s.personId) ?? [])]) if (t.sessionKey === key) t.close()
  }

  get(personId: string): Person {
    const p = this.people.get(personId)
    if (!p) throw new SocketError('ENOPERSON', `no person ${personId}`)
    return p
  }

  /** Current view of a person (their role may have changed since the request began). */
  current(personId: string): Person | undefined {
    return this.people.get(personId)
  }

  /** End every session of a person and close their sockets; they cannot rejoin under that name. */
  revoke(personId: string): Person {
    const p = this.get(personId)
    if (p.role === 'instructor') throw new SocketError('EINVAL', 'the instructor cannot be revoked; restart the gateway with a new SOCKLAB_TOKEN instead')
    p.revoked = true
    for (const [key, s] of this.sessions) if (s.personId === personId) this.sessions.delete(key)
    for (const t of [...(this.sockets.get(personId) ?? [])]) t.close()
    return p
  }

  setRole(personId: string, role: Extract<Role, 'student' | 'observer'>): Person {
    const p = this.get(personId)
    if (p.role === 'instructor') throw new SocketError('EINVAL', 'the instructor keeps the instructor role')
    if (p.revoked) throw new SocketError('EREVOKED', `${p.name} was revoked`)
    p.role = role
    return p
  }

  /** Remember a live WebSocket of a person; `close` runs when they are revoked or log out. Returns the un-track function. */
  track(personId: string, sessionKey: string | undefined, close: () => void): () => void {
    const t: TrackedSocket = { sessionKey, close }
    let set = this.sockets.get(personId)
    if (!set) this.sockets.set(personId, (set = new Set()))
    set.add(t)
    return () => {
      set.delete(t)
      if (set.size === 0 && this.sockets.get(personId) === set) this.sockets.delete(personId)
    }
  }

  list(endpointsOf: (personId: string) => number): PersonInfo[] {
    return [...this.people.values()].map((p) => {
      const sockets = this.sockets.get(p.id)?.size ?? 0
      return {
        id: p.id,
        name: p.name,
        role: p.role,
        joinedAt: p.joinedAt,
        lastSeenAt: p.lastSeenAt,
        sockets,
        online: sockets > 0,
        endpoints: endpointsOf(p.id),
        revoked: p.revoked,
      }
    })
  }
}
