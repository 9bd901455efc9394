import preact from "@preact/preset-vite";
import { defineConfig } from "vite";

// Vite reads its configuration from a default export.
export default defineConfig({
  // Relative asset URLs keep the console working when the API sits behind a path prefix.
  base: "./",
  plugins: [preact()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    // The bundle is small; one chunk means one request after index.html.
    modulePreload: false,
  },
  server: {
    // `npx vite` in this folder serves the console with live reload against a local API.
    proxy: {
      "/api": process.env.COMPLIANCE_API_URL ?? "http://127.0.0.1:8080",
      "/health": process.env.COMPLIANCE_API_URL ?? "http://127.0.0.1:8080",
    },
  },
});
