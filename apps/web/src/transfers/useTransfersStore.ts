import { defineStore } from 'pinia'
import { computed, shallowReactive, shallowRef, watch } from 'vue'
import type { TransferInfo } from '@socklab/shared'
import type { LogRow } from '../live/live-model.ts'
import { useLiveStore } from '../live/useLiveStore.ts'
import type { TransferView } from './transfer-format.ts'
import { transfersApi } from './transfers-api.ts'

/** Weight of the newest sample in the smoothed rate (the rest is the previous estimate). */
const RATE_SMOOTHING = 0.3
/** Transfers kept in the browser; the oldest finished ones are forgotten first. */
const KEEP = 500

/**
 * Every transfer the gateway reports (server and client side), live: the `transfer` events of the
 * live feed update it, GET /api/transfers fills it when the page opens or the gateway restarts.
 * Reads only the log rows that are new since the last look, not the whole log.
 */
export const useTransfersStore = defineStore('transfers', () => {
  const live = useLiveStore()
  const byId = shallowReactive(new Map<string, TransferView>())
  /** Counts transfers that reached an end (done, failed, incomplete): the files view reloads on it. */
  const ended = shallowRef(0)
  let lastN = 0
  let lastEvent = new Map<string, { bytes: number; ts: number }>()

  function ingest(t: TransferInfo, ts: number) {
    const prev = byId.get(t.id)
    // A late REST answer must not move a transfer backwards.
    if (prev && prev.state !== 'running' && t.state === 'running') return
    if (prev && t.state === 'running' && t.bytesDone < prev.bytesDone) return
    let rate = prev?.rate
    if (t.state === 'running') {
      const last = lastEvent.get(t.id)
      if (last && ts > last.ts && t.bytesDone >= last.bytes) {
        const sample = ((t.bytesDone - last.bytes) * 1000) / (ts - last.ts)
        rate = rate === undefined ? sample : RATE_SMOOTHING * sample + (1 - RATE_SMOOTHING) * rate
      }
      lastEvent.set(t.id, { bytes: t.bytesDone, ts })
    } else {
      const seconds = ((t.endedAt ?? ts) - t.startedAt) / 1000
      rate = seconds > 0 ? t.bytesDone / seconds : undefined
      lastEvent.delete(t.id)
      if (!prev || prev.state === 'running') ended.value++
    }
    byId.set(t.id, { ...t, ...(rate !== undefined ? { rate } : {}) })
    if (byId.size > KEEP) forgetOldest()
  }

  function forgetOldest() {
    for (const [id, t] of byId) {
      if (t.state === 'running') continue
      byId.delete(id)
      if (byId.size <= KEEP) return
    }
  }

  /** The log rows pushed since the last look (newest first in the ring's tail), oldest first. */
  function scan() {
    const log = live.log
    const fresh: LogRow[] = []
    for (let i = log.length - 1; i >= 0; i--) {
      const row = log.at(i)!
      if (row.n <= lastN) break
      fresh.push(row)
    }
    if (fresh.length === 0) return
    lastN = fresh[0]!.n
    for (let j = fresh.length - 1; j >= 0; j--) {
      const row = fresh[j]!
      if (row.kind === 'event' && row.event.type === 'transfer') ingest(row.event.transfer, row.event.ts)
    }
  }

  const loading = shallowRef(false)
  async function refresh() {
    loading.value = true
    try {
      const { transfers } = await transfersApi.list()
      for (const t of transfers) ingest(t, t.endedAt ?? Date.now())
    } catch {
      // The feed keeps the list current anyway; a failed refresh only misses transfers from before.
    } finally {
      loading.value = false
    }
  }

  watch(() => live.logVersion, scan)
  // A new gateway run: its transfers are new ones; forget the old run's.
  watch(
    () => live.state.serverId,
    (now, before) => {
      if (before && now !== before) {
        byId.clear()
        lastEvent = new Map()
      }
      if (now) void refresh()
    },
    { immediate: true },
  )

  const all = computed(() => [...byId.values()].sort((a, b) => b.startedAt - a.startedAt))
  const running = computed(() => all.value.filter((t) => t.state === 'running').length)
  function ofEndpoint(endpointId: string): TransferView[] {
    return all.value.filter((t) => t.endpointId === endpointId)
  }

  return { all, running, ended, loading, ofEndpoint, refresh }
})
