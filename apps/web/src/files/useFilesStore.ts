import { defineStore } from 'pinia'
import { shallowRef, watch } from 'vue'
import type { ErrorInfo, FileEntry } from '@socklab/shared'
import { errorInfoOf } from '../api/client.ts'
import { useTransfersStore } from '../transfers/useTransfersStore.ts'
import { filesApi } from './files-api.ts'

/** Folders looked at when offering folder names (a bounded walk, not the whole tree). */
const MAX_FOLDERS = 200
const MAX_DEPTH = 4

/**
 * The files area as the panel shows it: the folder being looked at and its entries, reloaded when a
 * transfer ends (uploads land here), and the folder names for folder pickers.
 */
export const useFilesStore = defineStore('files', () => {
  const path = shallowRef('')
  const entries = shallowRef<FileEntry[]>([])
  const error = shallowRef<ErrorInfo | null>(null)
  const loading = shallowRef(false)
  const folders = shallowRef<string[]>([])

  let loadSeq = 0
  async function load(to = path.value) {
    const mine = ++loadSeq
    loading.value = true
    try {
      const list = await filesApi.list(to)
      if (mine !== loadSeq) return
      path.value = list.path
      entries.value = list.entries
      error.value = null
    } catch (err) {
      if (mine !== loadSeq) return
      error.value = errorInfoOf(err)
    } finally {
      if (mine === loadSeq) loading.value = false
    }
  }

  /** Every folder (breadth first, bounded), for the folder fields of the file servers. */
  async function loadFolders() {
    const found: string[] = ['']
    const queue: { rel: string; depth: number }[] = [{ rel: '', depth: 0 }]
    while (queue.length && found.length < MAX_FOLDERS) {
      const { rel, depth } = queue.shift()!
      const list = await filesApi.list(rel).catch(() => null)
      for (const e of list?.entries ?? []) {
        if (e.type !== 'dir') continue
        found.push(e.path)
        if (depth + 1 < MAX_DEPTH) queue.push({ rel: e.path, depth: depth + 1 })
      }
    }
    folders.value = found
  }

  function open(rel: string) {
    return load(rel)
  }
  function up() {
    const parts = path.value.split('/').filter(Boolean)
    parts.pop()
    return load(parts.join('/'))
  }

  const transfers = useTransfersStore()
  watch(
    () => transfers.ended,
    () => {
      void load()
      void loadFolders()
    },
  )

  return { path, entries, error, loading, folders, load, loadFolders, open, up }
})
