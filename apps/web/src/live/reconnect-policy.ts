/**
 * How the panel retries a dropped link: quickly at first, then backing off, for a bounded number of
 * tries (reset whenever a connection opens), like vitest's browser client. After the last try the
 * link is "offline" until the user (or the browser coming back online) asks again.
 */
export interface ReconnectPolicy {
  maxTries: number
  baseDelayMs: number
  maxDelayMs: number
  /** 0..1: spread retries so a classroom of panels does not reconnect in lockstep after a restart. */
  jitter: number
}

export const DEFAULT_RECONNECT_POLICY: ReconnectPolicy = { maxTries: 20, baseDelayMs: 250, maxDelayMs: 5000, jitter: 0.2 }

/** Delay before try number `attempt` (1-based); `random` in [0, 1). */
export function reconnectDelay(policy: ReconnectPolicy, attempt: number, random: number = Math.random()): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1))
  const spread = exp * policy.jitter * (random * 2 - 1)
  return Math.max(0, Math.round(Math.min(policy.maxDelayMs, exp + spread)))
}
