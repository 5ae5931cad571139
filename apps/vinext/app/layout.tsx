import type { ReactNode } from "react";

export const metadata = { title: "edge-isr on vinext" };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <nav>
          <a href="/">Home</a> · <a href="/posts/hello">Hello</a> · <a href="/posts/world">World</a> · <a href="/about">About</a>
        </nav>
        <main>{children}</main>
      </body>
    </html>
  );
}
