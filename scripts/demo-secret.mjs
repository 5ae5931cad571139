/**
 * Which admin secret the demo's Worker has, for the banner: the one exported as
 * EDGE_ISR_SECRET, the one in apps/demo/.dev.vars, or the local default. Never
 * the value itself unless it is the documented default.
 */
import { existsSync, readFileSync } from "node:fs";

/** The demo's documented local default (apps/demo/src/server/admin.ts), accepted on localhost only. */
export const LOCAL_DEFAULT_SECRET = "edge-isr-demo";

/** Whether a .dev.vars file sets EDGE_ISR_SECRET (KEY=value lines, `#` comments). */
function devVarsSets(path) {
  if (!existsSync(path)) return false;
  return readFileSync(path, "utf8")
    .split(/\r?\n/)
    .some((line) => /^\s*(export\s+)?EDGE_ISR_SECRET\s*=\s*\S/.test(line));
}

/** How the banner names the secret in use. */
export function describeSecret(env, devVarsPath) {
  if (env.EDGE_ISR_SECRET) return "the value of EDGE_ISR_SECRET in your environment";
  if (devVarsSets(devVarsPath)) return "EDGE_ISR_SECRET from apps/demo/.dev.vars";
  return `${LOCAL_DEFAULT_SECRET} (the local default, accepted on localhost only; set EDGE_ISR_SECRET to change it)`;
}
