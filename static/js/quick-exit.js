/* Quick exit, on every public and portal page: the "Leave this site" button, or Shift
   pressed three times, blanks the page at once and goes to a neutral site, replacing this
   page in the browser's history. Without JavaScript the button is a plain link there.
   In the portal the link also names a page that signs her out, called on the way. */
(function () {
  "use strict";

  var link = document.getElementById("quick-exit");
  if (!link) { return; }
  var leaving = false;

  function leave(event) {
    if (event) { event.preventDefault(); }
    if (leaving) { return; }
    leaving = true;
    // Blank the page first, so nothing stays on screen while the next site loads.
    document.documentElement.style.visibility = "hidden";
    document.title = "";
    if (document.body) { document.body.textContent = ""; }
    if (link.dataset.exitBeacon) {
      try { navigator.sendBeacon(link.dataset.exitBeacon); } catch (e) { /* best effort */ }
    }
    // replace(): this page does not stay behind as the previous page in history.
    window.location.replace(link.dataset.exitUrl || link.href);
  }
  link.addEventListener("click", leave);

  // Three presses of Shift on its own within three seconds; Shift used for a capital
  // letter while typing does not count.
  var presses = [];
  var shiftAlone = false;
  document.addEventListener("keydown", function (event) {
    shiftAlone = event.key === "Shift" && !event.repeat;
  }, true);
  document.addEventListener("keyup", function (event) {
    if (event.key !== "Shift" || !shiftAlone) { return; }
    shiftAlone = false;
    var now = Date.now();
    presses = presses.filter(function (time) { return now - time < 3000; });
    presses.push(now);
    if (presses.length >= 3) { leave(); }
  }, true);
})();
