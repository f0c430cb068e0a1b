// Live updates of the team board: the server renders the rows and sends them as server-sent
// events; this only puts them in place. Without it the board still works (reload to refresh).
(function () {
  "use strict";
  var board = document.getElementById("board");
  if (!board || !window.EventSource) {
    return;
  }
  var rows = document.getElementById("board-rows");
  var summary = document.getElementById("board-summary");
  var updated = document.getElementById("board-updated");
  var status = document.getElementById("live-status");
  var announce = document.getElementById("live-announce");
  var source = new EventSource(board.getAttribute("data-live"));

  function say(text) {
    status.textContent = text;
  }
  source.addEventListener("live", function (e) {
    say(e.data);
  });
  source.addEventListener("board", function (e) {
    var d = JSON.parse(e.data);
    rows.innerHTML = d.rows;
    summary.innerHTML = d.summary;
    updated.textContent = d.updated;
    board.setAttribute("data-version", d.version);
    if (d.announce) {
      announce.textContent = d.announce;
    }
    say("Live: updates appear as they happen.");
  });
  source.addEventListener("problem", function (e) {
    say(e.data);
  });
  source.addEventListener("resumed", function (e) {
    say(e.data);
  });
  source.addEventListener("signedout", function (e) {
    source.close();
    say(e.data);
  });
  source.addEventListener("error", function () {
    say(source.readyState === EventSource.CLOSED ? "Live updates stopped. Reload the page." : "Reconnecting live updates...");
  });
})();
