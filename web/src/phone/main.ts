/**
 * The riders' phone page (/m/): the nearest stations first; the report form (/m/report) and a
 * report's progress (/m/r/<receipt>) load as their own chunks, so the list's first paint carries
 * only the list.
 */
import { createApp } from 'vue';
import PhoneApp from './PhoneApp.vue';
import './phone.css';

createApp(PhoneApp).mount('#app');
