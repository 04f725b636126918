// node tests/js/tokenize.mjs VENDORED_TOKENIZERS_MJS TOKENIZER_JSON MAX_LENGTH < lines.json > ids.json
// Tokenizes as the page does: tokenizers.js on the site's tokenizer.json, then hamming.js's truncate.
import fs from "node:fs";
import { pathToFileURL } from "node:url";
import { truncate } from "../../hamming_site/web/hamming.js";

const [lib, tokenizerJson, maxLength] = process.argv.slice(2);
const { Tokenizer } = await import(pathToFileURL(lib).href);
const tokenizer = new Tokenizer(JSON.parse(fs.readFileSync(tokenizerJson, "utf8")), {});
const lines = JSON.parse(fs.readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(lines.map((t) => truncate(tokenizer.encode(t).ids, Number(maxLength)))));
