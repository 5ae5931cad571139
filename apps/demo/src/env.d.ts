/// <reference types="vite/client" />
declare module "virtual:client-assets" {
  /** The module scripts that hydrate the page: the client entry (dev: the source, plus Vite's HMR client). */
  const assets: { scripts: string[] };
  export default assets;
}
declare module "@vitejs/plugin-react/preamble" {}
