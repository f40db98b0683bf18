import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

// The web client, built into web/dist (git-ignored) by scripts/build-web.mjs and served at / by the
// embedded host (services/platform/http/web-client.ts). Files under public/ are copied as they are
// (the /docs page); everything else gets a content hash in its name and is cached for a year.
export default defineConfig({
  root: import.meta.dirname,
  plugins: [vue()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Chromium, Firefox and Safari of the last two years: no legacy bundle.
    target: 'es2022',
    // The page's CSP has no 'unsafe-inline': Vite must not inline small assets as data: scripts.
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
});
