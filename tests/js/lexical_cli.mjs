// The page's keyword search and fusion (hamming_site/web/lexical.js, fusion.js) driven from Python for parity tests (tests/test_lexical.py):
//   node tests/js/lexical_cli.mjs PORTER2_PATH < request.json > reply.json
// Not a test file itself (node --test runs only *.test.mjs here). Requests, {"op": ..., ...}:
//   heldWords {texts, stopwords, limit, groups: [[{own, terms}], ...] a text}
//                                  -> [[[term, ...], ...], ...]  heldWords(tokenizer, text, limit, groups) of each text
//   terms {texts, stopwords, languages?, limit?}
//                                  -> [[term, ...], ...]      tokenizer(stem, stopwords, languages).terms of each text
//                                     (with a limit: its queryWords(text, limit), [[term, ...], ...] each)
//   words {texts}                  -> [[word, ...], ...]
//   titleKeys {texts}              -> [[exact, loose], ...]   (null where empty)
//   parseChunks {files}            -> [{key: [docs, weights]}, ...]
//   chunkOf {keys, firsts}         -> [chunk number, ...]
//   rank {folder, firsts, stopwords, count, queries, k, maxQueryTerms?, expandRules?}
//                                  -> [{order, scores, groups}, ...]  lexicalOrder and the BM25 scores of its
//                                     documents, with expand.js's groups where expandRules (manifest lexical.expand)
//   fuse {cases: [{scores, tiers, semantic, semanticScores, k, alpha (a number, or one per index), depth, count}]}
//                                  -> [[{index, score}, ...], ...]
//   acrossAlphas {fusion, texts, documents, rowDoc?, held?, words?}
//                                  -> [[alpha, ...] | null, ...]  acrossAlphas(fusion, text, documents, rowDoc, held,
//                                     words) of each text, its function read at every row
//   scores {q, codes: [[u32 word, ...], ...]}  -> [score, ...]    hamming.js's asymmetricScore of each code
//   probe {q, centroids: [[value, ...], ...], probes}
//                                  -> [cluster, ...]          clusters.js's probe over float32 centroids
//   phrase {texts, cases: [{query, results, docs: {index: document}, firsts: {index: first row}, perDoc}]}
//                                  -> {keys, phrases, ordered}  phrase.js's phraseKey and phraseOf of each text, and
//                                     phraseFirst of each case's results over its documents (texts from their text)
//   byDocument {cases: [{rows: [{index, score, distance}], rowDoc (null = identity), k, perDoc}]}
//                                  -> [[{index, score, distance, passages: [{row, score}]}], ...]
import { readFileSync } from "node:fs";
import { passageText } from "../../hamming_site/web/documents.js";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { probe } from "../../hamming_site/web/clusters.js";
import { acrossAlphas, byDocument, fuse } from "../../hamming_site/web/fusion.js";
import { addGroups, expand } from "../../hamming_site/web/expand.js";
import { asymmetricScore } from "../../hamming_site/web/hamming.js";
import { holding, PHRASE_DEPTH, phraseFirst, phraseKey, phraseOf } from "../../hamming_site/web/phrase.js";
import {
  bm25Scores, chunkOf, heldWords, lexicalOrder, parseChunk, titleKeys, titleTiers, tokenizer, words,
} from "../../hamming_site/web/lexical.js";

const porter2 = process.argv[2];
if (!porter2) throw new Error("usage: node lexical_cli.mjs PORTER2_PATH < request.json");
const { stem } = await import(pathToFileURL(porter2).href);

const chunkObject = (map) =>
  Object.fromEntries([...map].map(([key, { docs, weights }]) => [key, [Array.from(docs), Array.from(weights)]]));

async function rank({ folder, firsts, stopwords, count, queries, k, maxQueryTerms = Infinity, expandRules = null }) {
  const tok = tokenizer(stem, stopwords);
  const chunks = new Map();
  const chunk = (n) => {
    if (!chunks.has(n)) {
      const name = join(folder, `${String(n).padStart(4, "0")}.bin`);
      chunks.set(n, parseChunk(readFileSync(name), name));
    }
    return chunks.get(n);
  };
  const postings = (key) => (firsts.length ? chunk(chunkOf(key, firsts)).get(key) : undefined);
  const out = [];
  for (const query of queries) {
    const counted = tok.queryTermCounts(query, maxQueryTerms);
    const lists = counted.map(([t, qtf]) => { const l = postings(t); return l && { ...l, qtf }; }).filter(Boolean);
    const groups = expandRules ? await expand(query, tok, expandRules, firsts, async (n) => chunk(n)) : [];
    const lexical = addGroups(bm25Scores(lists, count), groups, postings);
    const [exact, loose] = titleKeys(query);
    const tiers = titleTiers(exact && postings(exact)?.docs, loose && postings(loose)?.docs);
    const order = lexicalOrder(lexical, tiers, k);
    out.push({ order, scores: order.map((i) => lexical.scores[i]), groups });
  }
  return out;
}

function fuseCase({ scores, tiers, semantic, semanticScores, k, alpha, depth, count }) {
  const lexical = { scores: new Uint32Array(count), hits: [] };
  for (const [i, s] of Object.entries(scores)) {
    if (s > 0) { lexical.scores[Number(i)] = s; lexical.hits.push(Number(i)); }
  }
  const tierMap = new Map();
  for (const [i, t] of Object.entries(tiers)) if (t > 0) tierMap.set(Number(i), t);
  const semanticScore = (i) => {
    const s = semanticScores[String(i)];
    if (s === undefined) throw new Error(`no semantic score for document ${i}`);
    return s;
  };
  return fuse(lexical, tierMap, semantic, semanticScore, k, Array.isArray(alpha) ? (i) => alpha[i] : alpha, depth);
}

const request = JSON.parse(readFileSync(0, "utf-8"));

async function phraseCases({ texts, cases }) {
  const ordered = [];
  for (const { query, results, docs, firsts, perDoc } of cases) {
    const phrase = phraseOf(query);
    const rows = phrase === null ? [] : await Promise.all(results.slice(0, PHRASE_DEPTH).map((r) =>
      holding(r, docs[r.index], firsts[r.index], phrase, (span) => passageText({}, r.index, docs[r.index], span), perDoc)));
    ordered.push(phraseFirst(results, phrase, rows, perDoc));
  }
  return { keys: texts.map(phraseKey), phrases: texts.map(phraseOf), ordered };
}
let reply;
switch (request.op) {
  case "acrossAlphas":
    reply = request.texts.map((text) => {
      const rowDoc = request.rowDoc ? Uint32Array.from(request.rowDoc) : null;
      const held = request.held ? Uint16Array.from(request.held) : null;
      const a = acrossAlphas(request.fusion, text, request.documents, rowDoc, held, request.words ?? 0);
      return a && Array.from({ length: rowDoc ? rowDoc.length : request.documents }, (_, r) => a(r));
    });
    break;
  case "terms": {
    // languages (a site not all English): [[code, its stemmer module's path or null, stop words]]
    const languages = request.languages && await Promise.all(request.languages.map(async ([code, file, stop]) =>
      [code, code === "en" ? stem : file ? (await import(pathToFileURL(file).href)).stemmer : null, stop]));
    const { terms, queryWords } = tokenizer(stem, request.stopwords, languages);
    reply = request.limit ? request.texts.map((t) => queryWords(t, request.limit)) : request.texts.map(terms);
    break;
  }
  case "heldWords": {
    const tok = tokenizer(stem, request.stopwords);
    reply = request.texts.map((t, i) => heldWords(tok, t, request.limit, request.groups[i]));
    break;
  }
  case "words": reply = request.texts.map(words); break;
  case "titleKeys": reply = request.texts.map(titleKeys); break;
  case "chunkOf": reply = request.keys.map((key) => chunkOf(key, request.firsts)); break;
  case "parseChunks": reply = request.files.map((f) => chunkObject(parseChunk(readFileSync(f), f))); break;
  case "rank": reply = await rank(request); break;
  case "fuse": reply = request.cases.map(fuseCase); break;
  case "scores": {
    const q = Float32Array.from(request.q);
    reply = request.codes.map((words) => asymmetricScore(Uint32Array.from(words), 0, q));
    break;
  }
  case "probe": {
    const { q, centroids, probes } = request;
    const flat = Float32Array.from(centroids.flat());
    reply = probe({ count: centroids.length, bits: q.length, centroids: flat }, Float32Array.from(q), probes);
    break;
  }
  case "phrase": reply = await phraseCases(request); break;
  case "byDocument":
    reply = request.cases.map((c) => byDocument(c.rows, c.rowDoc && Uint32Array.from(c.rowDoc), c.k, c.perDoc));
    break;
  default: throw new Error(`unknown op ${request.op}`);
}
process.stdout.write(JSON.stringify(reply));
