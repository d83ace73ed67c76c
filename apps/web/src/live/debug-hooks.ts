import type { useLiveStore } from './useLiveStore.ts'

declare global {
  interface Window {
    __socklab?: {
      dropLink(hold?: boolean): void
      releaseLink(): void
      linkState(): string
      logLength(): number
      /** seq of every event row in the client's log, oldest first. */
      logSeqs(): number[]
    }
  }
}

/**
 * Hooks for the end-to-end tests (drop the link as a network failure would). Installed only when the
 * page is opened with `?debug=1`, so a normal session has no such handle.
 */
export function installDebugHooks(live: ReturnType<typeof useLiveStore>) {
  if (!new URLSearchParams(location.search).has('debug')) return
  window.__socklab = {
    dropLink: (hold = false) => live.dropLink(hold),
    releaseLink: () => live.releaseLink(),
    linkState: () => live.link.state,
    logLength: () => live.log.length,
    logSeqs: () => live.log.toArray().flatMap((r) => (r.kind === 'event' ? [r.event.seq] : [])),
  }
}
