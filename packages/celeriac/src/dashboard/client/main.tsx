/**
 * Boots the dashboard in the element the server's page renders (see config.ts). Loaded as one script
 * with the page's CSP nonce; the stylesheet (this bundle's CSS imports) is served beside it.
 */
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import "uplot/dist/uPlot.min.css";
import "./dashboard.css";
import { App } from "./app.js";
import { configure, readConfig } from "./config.js";

const root = document.getElementById("celeriac-dashboard");
if (root === null) throw new Error('celeriac dashboard: no <div id="celeriac-dashboard"> on the page');
configure(readConfig(root));
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
