import { createApp } from 'vue';
import App from './App.vue';
import { i18n, currentLang } from './i18n/index.js';
import { router } from './router.js';
import './style.css';

document.documentElement.lang = currentLang();
createApp(App).use(i18n).use(router).mount('#app');
