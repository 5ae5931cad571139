// `node --import ./register-alias.mjs …`: resolves `vinext/shims/request-context`
// (imported by @vinext/cloudflare's KV handler; vinext is not a dependency) to
// the stub in ./stubs, through a module-resolve hook.
import { register } from "node:module";

const stub = new URL("./stubs/request-context.mjs", import.meta.url).href;
const hooks = `
export async function resolve(specifier, context, next) {
  if (specifier === "vinext/shims/request-context") return { url: ${JSON.stringify(stub)}, shortCircuit: true };
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
