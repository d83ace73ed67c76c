import { defineStore } from 'pinia'
import { shallowRef, watch } from 'vue'
import { VIEW_ENCODINGS, type ViewEncoding } from '@socklab/shared'

const VIEW_KEY = 'socklab.view'

function savedView(): ViewEncoding {
  const v = localStorage.getItem(VIEW_KEY)
  return (VIEW_ENCODINGS as readonly string[]).includes(v ?? '') ? (v as ViewEncoding) : 'utf-8'
}

/** How the traffic log is shown: the bytes' view (for every row at once) and the filters. */
export const useTrafficView = defineStore('traffic-view', () => {
  const view = shallowRef<ViewEncoding>(savedView())
  /** '' = every endpoint. */
  const endpointId = shallowRef('')
  /** '' = every connection of the endpoint. */
  const connectionId = shallowRef('')
  /** Also list connection and endpoint events (opened, FIN, closed, errors), not only bytes. */
  const showEvents = shallowRef(true)
  /** Bytes to find (what was typed in the search box, applied after a pause); '' = no search. */
  const search = shallowRef('')
  /** While searching, also list the non-data rows (`showEvents` is for the log unsearched). */
  const searchEvents = shallowRef(false)
  watch(view, (v) => localStorage.setItem(VIEW_KEY, v))
  watch(endpointId, () => (connectionId.value = ''))
  return { view, endpointId, connectionId, showEvents, search, searchEvents }
})
