/**
 * The staff web app's build: Vue 3 single-file components, served by the server under /app/
 * (server/src/routes/web.ts). `npm run build:web` writes web/dist; `npm run dev --workspace=@yizhan/web`
 * serves the sources with the API proxied to a running server (YIZHAN_DEV_API, default :8080).
 */
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

const api = process.env.YIZHAN_DEV_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root: import.meta.dirname,
  base: '/app/',
  plugins: [vue()],
  define: {
    // Only the Composition API is used; the flags drop the rest from the bundle.
    __VUE_OPTIONS_API__: 'false',
    __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
    __VUE_I18N_FULL_INSTALL__: 'false',
    __VUE_I18N_LEGACY_API__: 'false',
    __INTLIFY_PROD_DEVTOOLS__: 'false',
  },
  build: { outDir: 'dist', emptyOutDir: true, assetsDir: 'assets', chunkSizeWarningLimit: 200 },
  server: { proxy: { '/api': api } },
});
