/** Stands in for the demo's `virtual:client-assets` (made by its Vite build) when the shop runs under Vitest. */
export default { scripts: ["/assets/client.js"] };
