// Placeholder until the in-browser search runtime lands (issue 3): the site's data files are complete,
// the page says plainly that querying is not available yet.
document.getElementById("status").textContent =
  "This site's search index is built; the in-browser search runtime is not bundled in this version.";
document.body.dataset.state = "error";
