// Flat config: typescript-eslint's recommended rules over sources, tests and benchmarks, and the
// rule that holds the layers of src/.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const LAYERS = ["cli", "server", "queue", "report", "eval", "align", "strategies", "judges", "models", "generator", "tokenizer", "train", "charts", "shapes", "geneval", "torch", "util"];

export default tseslint.config(
  { ignores: ["dist/", "build/", "node_modules/", "runs/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  // The house's layers, top to bottom (DESIGN.md): a folder imports only from folders below it.
  ...LAYERS.map((layer, i) => ({
    files: [`src/${layer}/**/*.ts`],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: LAYERS.slice(0, i + 1).filter((l) => l !== layer).map((above) => ({ group: [`../${above}/*`], message: `src/${layer} is below src/${above}: it may not import from it (DESIGN.md, layers)` })) },
      ],
    },
  })),
  {
    // example programs and scripts run by node
    files: ["**/*.mjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
  },
  {
    // build helpers run by node-gyp as CommonJS scripts
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs", globals: { require: "readonly", process: "readonly", console: "readonly" } },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
