import { defineStore } from 'pinia'
import { shallowRef } from 'vue'

/** Which endpoint the panel shows in detail. */
export const useSelectionStore = defineStore('selection', () => {
  const endpointId = shallowRef<string | null>(null)
  return {
    endpointId,
    select(id: string | null) {
      endpointId.value = id
    },
  }
})
