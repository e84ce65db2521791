/* Tells the SCO shell (the parent frame) which page is open; harmless outside an LMS. */
(function () {
  "use strict";
  try {
    var sco = window.parent && window.parent !== window ? window.parent.courseStudioSco : null;
    if (sco) { sco.reached(document.body.getAttribute("data-page"), document.body.getAttribute("data-last") === "true"); }
  } catch (e) { /* opened on its own or cross-origin: nothing to report */ }
})();
