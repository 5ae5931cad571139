#!/usr/bin/env node
// `npm run demo` / `npm run dev`: the demo app (apps/demo) arrives with a later
// capability. Until then this says so plainly and points at what works today.
const dev = process.argv.includes("--dev");
console.log(`edge-isr: the demo (apps/demo) arrives with a later capability, so \`npm run ${dev ? "dev" : "demo"}\` has nothing to serve yet.

What works today:
  npm test        the cache-handler contract suite, inside workerd on Miniflare's KV
  npm run bench   KV reads/writes per hit, stored bytes and get CPU vs vinext's handler
  npm run build   builds packages/kv-cache-handler/dist/index.js`);
