// The few React APIs this benchmark uses, declared here because @types/react is
// not a dependency of the monorepo (keeps `npm run check` green).
declare module "react" {
  export type ReactNode = ReactElement | string | number | boolean | null | undefined | readonly ReactNode[];
  export interface ReactElement {
    type: unknown;
    props: unknown;
    key: string | null;
  }
  export function createElement(
    type: string | ((props: any) => ReactNode),
    props?: Record<string, unknown> | null,
    ...children: ReactNode[]
  ): ReactElement;
}

declare module "react-dom/server" {
  import type { ReactNode } from "react";
  export interface ReactDOMServerReadableStream extends ReadableStream<Uint8Array> {
    allReady: Promise<void>;
  }
  export function renderToReadableStream(
    children: ReactNode,
    options?: { onError?: (error: unknown) => void; signal?: AbortSignal },
  ): Promise<ReactDOMServerReadableStream>;
}
