import { defineConfig } from 'vite';

// The web workspace: React without a Vite React plugin (esbuild's automatic JSX runtime).
// `vite build` writes packages/web/dist, which `lakebox start` serves at /.
export default defineConfig({
  root: 'app',
  base: '/',
  publicDir: false,
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: '../dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1200,
    sourcemap: false,
  },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/ajax-api': 'http://127.0.0.1:8080',
    },
  },
});
