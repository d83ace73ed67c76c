import type { InjectionKey, Ref } from 'vue'

/** The field the gateway rejected in the surrounding form, for Field.vue to outline. */
export const INVALID_FIELD: InjectionKey<Ref<string | undefined>> = Symbol('invalid-field')
