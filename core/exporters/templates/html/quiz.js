/* Course Studio quiz: a "Check answer" button per question announces the result in the
   question's live region (role=status) as words, never by colour alone. The page works
   without this file: the radios and the "Show answer" disclosure are plain HTML.
   Text comes from the page's own data-* attributes and is set with textContent only. */
(function () {
  "use strict";
  var quiz = document.querySelector("section.quiz");
  if (!quiz) { return; }
  var questions = quiz.querySelectorAll(".question");
  Array.prototype.forEach.call(questions, function (question) {
    var button = question.querySelector("button.quiz-check");
    var feedback = question.querySelector(".feedback");
    var answer = question.querySelector("details.answer");
    if (!button || !feedback) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var chosen = question.querySelector("input[type=radio]:checked");
      var text;
      var state;
      if (!chosen) {
        text = quiz.getAttribute("data-choose");
        state = "none";
      } else if (chosen.value === question.getAttribute("data-answer")) {
        text = quiz.getAttribute("data-correct");
        state = "correct";
      } else {
        text = question.getAttribute("data-wrong");
        state = "wrong";
      }
      // Clear first so the same message twice in a row is announced again.
      feedback.textContent = "";
      question.setAttribute("data-state", state);
      window.setTimeout(function () {
        feedback.textContent = text;
        if (state !== "none" && answer) { answer.open = true; }
      }, 50);
    });
  });
})();
