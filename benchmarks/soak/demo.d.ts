// The built demo Worker, aliased by run.mjs to results/demo/dist/edge_isr_demo/index.js.
declare module "soak:demo" {
  const worker: { fetch(request: Request, env: unknown, ctx: ExecutionContext): Promise<Response> };
  export default worker;
}
