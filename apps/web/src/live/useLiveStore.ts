import { defineStore } from 'pinia'
import { computed, markRaw, reactive, shallowRef } from 'vue'
import type { EndpointDetail, ServerMessage } from '@socklab/shared'
import { api } from '../api/client.ts'
import { LiveLink, type LinkStatus } from './live-link.ts'
import { LiveModel, createLiveState, type LogRow } from './live-model.ts'
import { LogRing } from './log-ring.ts'

/** Rows the browser keeps in the traffic log; older ones are dropped (and counted). */
export const LOG_CAPACITY = 100_000

/** `?logCapacity=N` (100…1,000,000) for a slow classroom machine, or a test that wants to see rows dropped. */
function logCapacity(): number {
  const n = Number(new URLSearchParams(location.search).get('logCapacity'))
  return Number.isInteger(n) && n >= 100 && n <= 1_000_000 ? n : LOG_CAPACITY
}

function eventsUrl(): string {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${proto}//${location.host}/api/events`
}

/**
 * Everything live: the link to the gateway, the endpoints with their connections, and the traffic
 * log. Endpoint state is reactive (it is small); the log is a plain ring (up to 100k rows) whose
 * changes are announced once per frame through `logVersion`.
 */
export const useLiveStore = defineStore('live', () => {
  const state = reactive(createLiveState())
  const log = markRaw(new LogRing<LogRow>(logCapacity()))
  const model = markRaw(new LiveModel(state, log))
  const logVersion = shallowRef(0)
  const link = shallowRef<LinkStatus>({ state: 'connecting', attempt: 0 })
  /** Last gateway restart noticed (ms), for a notice in the header. */
  const restartedAt = shallowRef<number | null>(null)

  let frameScheduled = false
  function logChanged() {
    if (frameScheduled) return
    frameScheduled = true
    // One re-render per frame however many messages arrive in it.
    requestAnimationFrame(() => {
      frameScheduled = false
      logVersion.value++
    })
  }

  let resyncing: Promise<void> | null = null
  /** Fetch the endpoints again after a gap lost their state effects. */
  function resync(): Promise<void> {
    resyncing ??= (async () => {
      try {
        const list = await api.listEndpoints()
        const details = await Promise.all(list.map((e) => api.getEndpoint(e.id).catch(() => null)))
        model.replaceEndpoints(details.filter((d): d is EndpointDetail => d !== null))
      } catch {
        // The link will reconnect and the welcome brings a fresh snapshot anyway.
      } finally {
        resyncing = null
      }
    })()
    return resyncing
  }

  function onMessage(msg: ServerMessage) {
    const r = model.handle(msg)
    if (r.log) logChanged()
    if (r.restarted) restartedAt.value = Date.now()
    if (r.resync) void resync()
  }

  const liveLink = markRaw(
    new LiveLink({
      url: eventsUrl(),
      hello: () => model.hello(),
      onMessage,
      onStatus: (s) => (link.value = s),
    }),
  )

  const onOnline = () => liveLink.retryNow()
  function connect() {
    window.addEventListener('online', onOnline)
    liveLink.start()
  }
  function disconnect() {
    window.removeEventListener('online', onOnline)
    liveLink.stop()
  }

  const endpoints = computed(() => state.endpoints)
  function endpoint(id: string | null | undefined): EndpointDetail | undefined {
    return id ? state.endpoints.find((e) => e.id === id) : undefined
  }
  /** Label for an endpoint id, also after it was removed. */
  function endpointLabel(id: string): string {
    const e = endpoint(id) ?? model.known.get(id)
    return e?.name ? `${e.name} (${id})` : id
  }

  return {
    state,
    link,
    restartedAt,
    log,
    logVersion,
    endpoints,
    endpoint,
    endpointLabel,
    connect,
    disconnect,
    retryNow: () => liveLink.retryNow(),
    resync,
    /** A REST answer (create) may arrive before its event: show the endpoint at once. */
    upsertEndpoint: (d: EndpointDetail) => model.upsertEndpoint(d),
    /** Test hooks (see debug-hooks.ts). */
    dropLink: (hold?: boolean) => liveLink.drop(hold),
    releaseLink: () => liveLink.release(),
  }
})
