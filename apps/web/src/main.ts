import { createPinia } from 'pinia'
import { createApp } from 'vue'
import App from './App.vue'
import { bootWithAccess } from './access/boot.ts'
import { i18n } from './i18n/index.ts'
import './styles/base.css'

document.documentElement.lang = i18n.global.locale.value
// Signs in first when the gateway has auth on (see access/boot.ts).
void bootWithAccess(() => createApp(App).use(createPinia()).use(i18n).mount('#app'), i18n)
