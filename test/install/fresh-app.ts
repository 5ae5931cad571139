/**
 * A fresh Worker project as a user starts one today, outside this repository:
 * plain Vite + @cloudflare/vite-plugin + React, a single-page app with a
 * compatibility date newer than the CLI ever pinned, and the three edge-isr
 * packages from their `npm pack` tarballs — nothing from the monorepo (no
 * workspaces, no `overrides` of workerd, no .npmrc).
 */
import { writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";

/** The project's compatibility date: newer than 2026-05 (what the CLI's old pinned workerd refused). */
export const COMPATIBILITY_DATE = "2026-10-01";

/** The files a user has before `edge-isr init`, path → text. */
export function freshAppFiles(tarballs: { cli: string; runtime: string; handler: string }): Record<string, string> {
  const pkg = {
    name: "fresh-edge-isr-app",
    private: true,
    type: "module",
    scripts: { build: "tsc -b && vite build", preview: "vite preview" },
    dependencies: {
      "@edge-isr/kv-cache-handler": `file:${tarballs.handler}`,
      "@edge-isr/runtime": `file:${tarballs.runtime}`,
      react: "^19.2.0",
      "react-dom": "^19.2.0",
    },
    devDependencies: {
      "@cloudflare/vite-plugin": "^1.64.0",
      "@types/react": "^19.2.0",
      "@types/react-dom": "^19.2.0",
      "@vitejs/plugin-react": "^6.3.0",
      "edge-isr": `file:${tarballs.cli}`,
      typescript: "~5.9.3",
      vite: "^8.3.8",
      wrangler: "^4.151.0",
    },
  };
  const compilerOptions = (lib: string[], extra: Record<string, unknown> = {}) => ({
    target: "ES2022",
    lib,
    module: "ESNext",
    moduleResolution: "bundler",
    strict: true,
    noEmit: true,
    skipLibCheck: false,
    types: [],
    ...extra,
  });
  return {
    "package.json": `${JSON.stringify(pkg, null, 2)}\n`,
    "vite.config.ts": `import { cloudflare } from "@cloudflare/vite-plugin";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

export default defineConfig({ plugins: [react(), cloudflare({ inspectorPort: false })] });
`,
    "wrangler.jsonc": `// The app: a React single-page app served from static assets.
{
  "$schema": "node_modules/wrangler/config-schema.json",
  "name": "fresh-edge-isr-app",
  "compatibility_date": "${COMPATIBILITY_DATE}",
  "assets": {
    "not_found_handling": "single-page-application"
  }
}
`,
    "index.html": `<!doctype html>
<html lang="en">
  <head><meta charset="UTF-8" /><title>Fresh app</title></head>
  <body><div id="root"></div><script type="module" src="/src/main.tsx"></script></body>
</html>
`,
    "src/main.tsx": `import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";

createRoot(document.getElementById("root")!).render(<StrictMode><App /></StrictMode>);
`,
    "src/App.tsx": `import { useState } from "react";

export function App() {
  const [count, setCount] = useState(0);
  return <button onClick={() => setCount((c) => c + 1)}>clicked {count} times</button>;
}
`,
    // As Vite's React template does: one config per part, checked together by \`tsc -b\`.
    "tsconfig.json": `${JSON.stringify({ files: [], references: [{ path: "./tsconfig.app.json" }, { path: "./tsconfig.worker.json" }] }, null, 2)}\n`,
    "tsconfig.app.json": `${JSON.stringify({ compilerOptions: compilerOptions(["ES2022", "DOM", "DOM.Iterable"], { jsx: "react-jsx", tsBuildInfoFile: "./node_modules/.tmp/app.tsbuildinfo" }), include: ["src"] }, null, 2)}\n`,
    "tsconfig.worker.json": `${JSON.stringify({ compilerOptions: compilerOptions(["ES2023", "DOM"], { tsBuildInfoFile: "./node_modules/.tmp/worker.tsbuildinfo" }), include: ["worker"] }, null, 2)}\n`,
  };
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
}
