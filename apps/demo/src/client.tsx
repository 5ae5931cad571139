/** The browser entry: hydrates the server-rendered page with the props serialized beside it. */
import "@vitejs/plugin-react/preamble";
import { hydrateRoot } from "react-dom/client";
import { App } from "./app";
import { type AppProps, PROPS_ELEMENT_ID } from "./types";

const props = JSON.parse(document.getElementById(PROPS_ELEMENT_ID)!.textContent!) as AppProps;
hydrateRoot(document.getElementById("root")!, <App {...props} />);
