/**
 * The riders' phone page (/m/, web/src/phone): its own Vite build beside the staff app's, so it
 * shares no chunk with it and stays light on a cheap phone on 4G (docs/riders.md). Built into
 * web/dist/m after the staff app (whose build empties web/dist); each text file also written
 * gzip- and brotli-compressed, which the server sends to browsers that accept them.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';
import vue from '@vitejs/plugin-vue';

const api = process.env.YIZHAN_DEV_API ?? 'http://127.0.0.1:8080';
const outDir = join(import.meta.dirname, 'dist/m');

/** .gz and .br beside every .html/.js/.css file of the build. */
function precompress(): Plugin {
  return {
    name: 'yizhan-precompress',
    apply: 'build',
    closeBundle() {
      for (const e of readdirSync(outDir, { recursive: true, withFileTypes: true })) {
        if (!e.isFile() || !/\.(html|js|css|svg)$/.test(e.name)) continue;
        const path = join(e.parentPath, e.name);
        const raw = readFileSync(path);
        writeFileSync(`${path}.gz`, gzipSync(raw, { level: 9 }));
        writeFileSync(
          `${path}.br`,
          brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
        );
      }
    },
  };
}

export default defineConfig({
  root: join(import.meta.dirname, 'm'),
  base: '/m/',
  plugins: [vue(), precompress()],
  define: {
    __VUE_OPTIONS_API__: 'false',
    __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
  },
  build: {
    // Older phones than the staff app's desktops: iOS 14 Safari (iPhones stuck on old systems) and
    // Chromium 87-based in-app browsers; module scripts and everything the page uses work there.
    target: ['es2020', 'chrome87', 'safari14', 'firefox78', 'edge88'],
    cssTarget: ['chrome87', 'safari14'],
    outDir,
    emptyOutDir: true,
    assetsDir: 'assets',
    // No inline script: the page's CSP allows only its own files.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
  server: { proxy: { '/api': api } },
});
