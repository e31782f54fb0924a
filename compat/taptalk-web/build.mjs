// Bundles the published SDK for the browser into page/dist/taptalk.js.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/entry.js'],
  bundle: true,
  platform: 'browser',
  format: 'iife',
  alias: { crypto: './src/crypto.js' },
  inject: ['./src/buffer.js'],
  outfile: 'page/dist/taptalk.js',
  logLevel: 'warning',
});
console.log('bundled taptalksdk-web into page/dist/taptalk.js');
