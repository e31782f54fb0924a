// The SDK uses Node's Buffer global; esbuild injects this one into the bundle.
export { Buffer } from 'buffer';
