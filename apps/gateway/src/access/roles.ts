import type { Role, User } from '@socklab/shared'

/** Who is asking; with auth off everyone is this local instructor. */
export type Principal = User

export const LOCAL_INSTRUCTOR: Principal = Object.freeze({ id: 'local', name: 'local', role: 'instructor' as Role })

/** What the access layer knows about each endpoint (kept after it is removed, so history stays filtered). */
export interface EndpointAccess {
  ownerId?: string
  shared: boolean
  /** seq of the event that announced "no longer shared": sent to everyone so their panels drop it. */
  unsharedAtSeq?: number
}

/** instructor: all; student: own and shared; observer: shared. */
export function canSee(p: Principal, e: EndpointAccess): boolean {
  if (p.role === 'instructor') return true
  if (e.shared) return true
  return p.role === 'student' && e.ownerId !== undefined && e.ownerId === p.id
}

/** instructor: all; student: own only; observer: nothing. */
export function canControl(p: Principal, e: EndpointAccess): boolean {
  if (p.role === 'instructor') return true
  return p.role === 'student' && e.ownerId !== undefined && e.ownerId === p.id
}

/** Kinds whose `port` is where they connect to, not where they listen; every other kind binds `port`. */
export const CONNECTING_KINDS = new Set(['tcp-client', 'file-client'])
