// A classic script, not a module: browsers block module scripts and WebAssembly on file:// pages, so
// only a classic script can tell the visitor why the search does not start there.
if (location.protocol === "file:") {
  document.body.dataset.state = "error";
  document.getElementById("status").textContent =
    "This page was opened from a file, where browsers block the search engine (WebAssembly and modules). " +
    "Serve the folder instead: python3 -m http.server -d <this folder> 8000 --bind 127.0.0.1, " +
    "then open http://127.0.0.1:8000/.";
}
