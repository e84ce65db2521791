/* Course Studio SCO shell: owns the SCORM 1.2 session for the whole course.
   The course pages load in the frame below and report progress here; the last lesson
   marks the SCO completed. No remote scripts, no eval, no inline script. */
(function () {
  "use strict";
  function findAPI(win) {
    for (var hops = 0; win && hops < 12; hops++) {
      try { if (win.API) { return win.API; } } catch (e) { /* cross-origin frame: keep looking */ }
      if (!win.parent || win.parent === win) { break; }
      win = win.parent;
    }
    return null;
  }
  var api = findAPI(window.parent !== window ? window.parent : null);
  if (!api && window.opener) { api = findAPI(window.opener); }
  var completed = false;
  var finished = false;

  function call(name, a, b) {
    if (!api) { return ""; }
    try { return b === undefined ? api[name](a) : api[name](a, b); } catch (e) { return ""; }
  }

  var started = String(call("LMSInitialize", "")) === "true";
  if (started) {
    var status = String(call("LMSGetValue", "cmi.core.lesson_status"));
    completed = status === "completed" || status === "passed";
    if (!completed) { call("LMSSetValue", "cmi.core.lesson_status", "incomplete"); }
    call("LMSCommit", "");
  }

  window.courseStudioSco = {
    reached: function (page, isLast) {
      if (!started || finished) { return; }
      if (/^[a-z0-9-]+\.html$/.test(page)) { call("LMSSetValue", "cmi.core.lesson_location", page); }
      if (isLast && !completed) {
        call("LMSSetValue", "cmi.core.lesson_status", "completed");
        completed = true;
      }
      call("LMSCommit", "");
    }
  };

  // The frame gets its page only now, so its first progress report always finds the shell ready.
  var resume = started ? String(call("LMSGetValue", "cmi.core.lesson_location")) : "";
  var start = /^[a-z0-9-]+\.html$/.test(resume) ? resume : "index.html";
  document.getElementById("content").src = "course/" + start;

  function finish() {
    if (started && !finished) { finished = true; call("LMSCommit", ""); call("LMSFinish", ""); }
  }
  window.addEventListener("pagehide", finish);
  window.addEventListener("beforeunload", finish);
})();
